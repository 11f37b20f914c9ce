extension Duration {
    /// The duration in seconds, as a `Double` (for rates and figures shown to people).
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
