/// One field of a set's key or a map's value. The numbers are nftables' own datatype IDs, so that
/// `nft list table` prints our elements as addresses, ports and names rather than raw bytes.
enum FieldType: Sendable {
    case ipv4, ipv6, inetProtocol, inetService, interfaceName, etherAddress

    /// nftables' datatype number (`enum datatypes` in nftables' datatype.h).
    var nftType: UInt32 {
        switch self {
        case .ipv4: 7
        case .ipv6: 8
        case .etherAddress: 9
        case .inetProtocol: 12
        case .inetService: 13
        case .interfaceName: 41
        }
    }

    /// Bytes of the value itself.
    var length: Int {
        switch self {
        case .ipv4: 4
        case .ipv6: 16
        case .etherAddress: 6
        case .inetProtocol: 1
        case .inetService: 2
        case .interfaceName: 16
        }
    }

    /// Bytes the field takes in a register, and so in a concatenated key: whole 32-bit words.
    var registerLength: Int { (length + 3) & ~3 }
}

extension Array where Element == FieldType {
    /// The datatype of a concatenation, composed as nftables does: six bits per field, first field
    /// highest.
    var nftType: UInt32 { reduce(0) { ($0 << 6) | $1.nftType } }

    /// Length of a key or value made of these fields: a lone field keeps its own length, a
    /// concatenation pads every field to whole registers.
    var byteLength: Int { count == 1 ? self[0].length : reduce(0) { $0 + $1.registerLength } }
}
