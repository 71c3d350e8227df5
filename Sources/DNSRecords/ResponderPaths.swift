/// The responder's files, all in the store's data directory: one responder per directory.
public struct ResponderPaths: Sendable, Equatable {
    /// The unix stream socket the control protocol runs over.
    public let socket: String
    /// Held with `flock` by the running responder, so that concurrent starts leave exactly one.
    public let lock: String
    /// The responder's log.
    public let log: String
    /// The store the responder serves, as the plugin that started it was configured: `dataDir` and
    /// the `store` object (a file, mode 0600, so that no credential is ever in argv).
    public let configuration: String

    public init(dataDir: String) {
        let directory = dataDir.hasSuffix("/") ? String(dataDir.dropLast()) : dataDir
        socket = directory + "/cni-dns.sock"
        lock = directory + "/cni-dns.lock"
        log = directory + "/cni-dns.log"
        configuration = directory + "/cni-dns.json"
    }
}
