import Foundation
import Testing

@Suite(.timeLimit(.minutes(2))) struct TestCommandTests {
    static let mapping = """
        name: Purchases
        trigger: event = "Order Completed"
        action: reportOfflineEvent
        mapping:
          event: CompletePayment
          value: !path $.properties.revenue
        tests:
          - name: revenue becomes value
            event: {event: Order Completed, properties: {revenue: 12.5}}
            expect: {event: CompletePayment, value: 12.5}
          - name: other events do not fire
            event: {event: Signed Up}
            fires: false
        """

    @Test func passingTestsExitZero() async throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("p.yaml", Self.mapping)
        let result = try await Tool.run(["test", file])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("2 passed, 0 failed"))
    }

    @Test func aFailureShowsADiff() async throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("p.yaml", Self.mapping.replacingOccurrences(of: "value: 12.5}", with: "value: 13}"))
        let result = try await Tool.run(["test", file])
        #expect(result.status != 0)
        #expect(result.stdout.contains("FAIL Purchases › revenue becomes value"))
        #expect(result.stdout.contains("/value: expected 13, got 12.5"), "\(result.stdout)")
        #expect(result.stdout.contains("1 passed, 1 failed"))
    }
}
