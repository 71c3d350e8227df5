import Addressing
import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` with a libnl `struct nl_addr` holding `address` (with `prefixLength`, the full width if
/// `nil`), released afterwards. libnl setters such as `rtnl_addr_set_local` take their own reference.
@discardableResult
func withLibnlAddress<R>(_ address: IPAddress, prefixLength: Int? = nil,
                         _ body: (OpaquePointer) throws -> R) throws -> R {
    try withLibnlAddress(family: address.family.rawValue, bytes: address.bytes,
                         prefixLength: prefixLength ?? address.bitWidth, body)
}

/// Runs `body` with a libnl `struct nl_addr` holding `mac`, released afterwards.
@discardableResult
func withLibnlAddress<R>(_ mac: MACAddress, _ body: (OpaquePointer) throws -> R) throws -> R {
    try withLibnlAddress(family: AF_LLC, bytes: mac.bytes, prefixLength: nil, body)
}

private func withLibnlAddress<R>(family: Int32, bytes: [UInt8], prefixLength: Int?,
                                 _ body: (OpaquePointer) throws -> R) throws -> R {
    let address = try allocate("an address") { nl_addr_build(family, bytes, bytes.count) }
    defer { nl_addr_put(address) }
    if let prefixLength { nl_addr_set_prefixlen(address, Int32(prefixLength)) }
    return try body(address)
}

/// The raw bytes of a libnl address.
private func libnlBytes(_ address: OpaquePointer) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: nl_addr_get_binary_addr(address), count: Int(nl_addr_get_len(address)))
}

extension IPAddress {
    /// The IP address in a libnl address, or `nil` if it holds no IPv4 or IPv6 address.
    init?(libnl address: OpaquePointer?) {
        guard let address else { return nil }
        self.init(bytes: libnlBytes(address))
    }
}

extension MACAddress {
    /// The Ethernet address in a libnl address, or `nil` if it holds something else.
    init?(libnl address: OpaquePointer?) {
        guard let address else { return nil }
        self.init(bytes: libnlBytes(address))
    }
}
