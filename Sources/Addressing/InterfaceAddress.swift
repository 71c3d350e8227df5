/// An address together with the prefix length of its subnet, as assigned to an interface
/// (`10.22.0.5/16`). Unlike `Subnet`, host bits are the point.
public struct InterfaceAddress: Hashable, Sendable {
    public let address: IPAddress
    public let prefixLength: Int

    public init(address: IPAddress, prefixLength: Int) {
        precondition((0...address.bitWidth).contains(prefixLength), "prefix length out of range")
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `address/prefix`; `nil` if either part is malformed.
    @inlinable
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress(parts[0]),
              !parts[1].isEmpty, parts[1].allSatisfy(\.isASCIIDigit), parts[1].count <= 3,
              let prefix = Int(parts[1]), prefix <= address.bitWidth else { return nil }
        self.init(address: address, prefixLength: prefix)
    }

    public var family: AddressFamily { address.family }
    public var subnet: Subnet { Subnet(containing: address, prefixLength: prefixLength) }
}

extension InterfaceAddress: CustomStringConvertible {
    public var description: String { "\(address)/\(prefixLength)" }
}

extension InterfaceAddress: StringCodable {
    public static func refusal(_ text: String) -> String { "\"\(text)\" is not an address/prefix" }
}
