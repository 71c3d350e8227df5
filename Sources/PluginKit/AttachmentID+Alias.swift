import Identity

extension AttachmentID {
    private static let aliasPrefix = "swift-cni/"

    /// The mark swift-cni leaves as the alias of host-side links it creates for an attachment:
    /// `swift-cni/<canonical text>`, so that DEL and GC can tell which attachment a link belongs to
    /// without the container's namespace.
    public var hostAlias: String { Self.aliasPrefix + text }

    /// The attachment a host link's alias names; `nil` for an alias swift-cni did not write.
    public init?(hostAlias alias: String) {
        guard alias.unicodeScalars.starts(with: Self.aliasPrefix.unicodeScalars) else { return nil }
        self.init(text: String(alias.unicodeScalars.dropFirst(Self.aliasPrefix.unicodeScalars.count)))
    }
}
