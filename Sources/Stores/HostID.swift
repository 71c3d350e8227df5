import POSIX

extension EtcdStoreSettings {
    /// Where the host's name comes from when the store object gives no `hostID`.
    public static let machineIDPath = "/etc/machine-id"

    /// This host's name in the store: `hostID` as configured, else the content of
    /// `/etc/machine-id`, which stays the same across restarts, so a restarted host finds its blocks.
    public func resolvedHostID() throws -> String {
        if let hostID { return hostID }
        let text: String
        do {
            text = String(decoding: try RegularFile.contents(atPath: Self.machineIDPath, limit: 256), as: UTF8.self)
        } catch {
            throw StoreConfigurationError("store: no \"hostID\", and \(Self.machineIDPath) cannot name this host: \(error)")
        }
        let id = text.filter { !$0.isWhitespace }
        guard !id.isEmpty, !id.contains("/") else {
            throw StoreConfigurationError("store: no \"hostID\", and \(Self.machineIDPath) holds no usable machine ID")
        }
        return id
    }
}
