/// The `Config` of a plugin that has no keys of its own beyond `NetworkConfig`'s.
public struct EmptyConfig: Decodable, Sendable, Equatable, KnownConfigKeys {
    public static let configKeys = ConfigKeys.keys([])

    public init() {}
}
