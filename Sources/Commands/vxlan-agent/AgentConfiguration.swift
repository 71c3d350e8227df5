import Stores

/// What the agent of a data directory serves, as the plugin writes it to `AgentPaths.configuration`:
/// the store (`dataDir` and `store`, as in a network configuration) and `hostTTL`.
struct AgentConfiguration: Decodable, Sendable {
    let store: StoreConfiguration
    /// How long the host's key outlives its agent: peers drop this host's containers that long
    /// after the agent stops keeping its lease alive.
    let hostTTL: Duration

    static let defaultHostTTL = Duration.seconds(10)

    private enum CodingKeys: String, CodingKey { case hostTTL }

    init(from decoder: Decoder) throws {
        store = try StoreConfiguration(from: decoder)
        let seconds = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Int.self, forKey: .hostTTL)
        hostTTL = seconds.map { .seconds($0) } ?? Self.defaultHostTTL
    }
}
