import Delivery
import TikTokEventsAPI

extension OutboxStore {
    /// Events pending for `route`'s token: every event set, kind and test code of its partner.
    public func pendingCount(for route: TikTokRoute) async throws -> Int {
        var pending = 0
        for destination in try await pendingDestinations() where route.route(forDestination: destination) != nil {
            pending += try await counts(destination: destination).pending
        }
        return pending
    }
}
