extension FirewallOwner {
    /// Which client made an owner's elements: two clients acting for the same attachment (a main
    /// plugin and one chained after it, say) share network, container and interface, but not their
    /// elements. Each client defines its own role; the firewall only compares them.
    ///
    /// The raw value is the first word of the owner's text in the kernel, so a role must keep its
    /// spelling for the elements already there to stay its own.
    public struct Role: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String

        /// The longest role: its text takes room from the owner text's `maximumTextLength`.
        static let maximumLength = 15

        /// `nil` unless `rawValue` is 1 to 15 lowercase ASCII letters, so that the owner text
        /// parses back unambiguously.
        public init?(rawValue: String) {
            guard (1...Self.maximumLength).contains(rawValue.utf8.count),
                  rawValue.utf8.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }) else { return nil }
            self.rawValue = rawValue
        }

        public var description: String { rawValue }
    }
}
