import Addressing
import CNftables

/// One nf_tables expression of a rule, in the kernel's own terms. `Rule` composes these into the
/// handful of matches our chains need; libnftnl serialises them.
enum Expression {
    case meta(MetaKey, into: Register)
    case payload(PayloadBase, offset: UInt32, length: UInt32, into: Register)
    case compare(Register, CompareOperator, [UInt8])
    case bitwise(Register, mask: [UInt8], xor: [UInt8])
    case conntrackStatus(into: Register)
    case fibDestinationType(into: Register)
    case lookup(Register, in: TableSet, result: Register? = nil)
    case destinationNAT(AddressFamily, address: Register, port: Register)
    case masquerade
    case verdict(Verdict)

    enum MetaKey {
        case protocolFamily, layer4Protocol, inputInterfaceName

        var raw: UInt32 {
            switch self {
            case .protocolFamily: NFT_META_NFPROTO.rawValue
            case .layer4Protocol: NFT_META_L4PROTO.rawValue
            case .inputInterfaceName: NFT_META_IIFNAME.rawValue
            }
        }
    }

    enum PayloadBase {
        case link, network, transport

        var raw: UInt32 {
            switch self {
            case .link: NFT_PAYLOAD_LL_HEADER.rawValue
            case .network: NFT_PAYLOAD_NETWORK_HEADER.rawValue
            case .transport: NFT_PAYLOAD_TRANSPORT_HEADER.rawValue
            }
        }
    }

    enum CompareOperator {
        case equal, notEqual

        var raw: UInt32 { self == .equal ? NFT_CMP_EQ.rawValue : NFT_CMP_NEQ.rawValue }
    }

    enum Verdict {
        case accept, drop, `return`

        var raw: UInt32 {
            switch self {
            case .accept: UInt32(NF_ACCEPT)
            case .drop: UInt32(NF_DROP)
            case .return: UInt32(bitPattern: NFT_RETURN.rawValue)
            }
        }
    }

    /// Builds the libnftnl object; the rule that receives it takes ownership.
    func make() -> OpaquePointer {
        switch self {
        case let .meta(key, register):
            return expression("meta") { e in
                set32(e, NFTNL_EXPR_META_KEY, key.raw)
                set32(e, NFTNL_EXPR_META_DREG, register.raw)
            }
        case let .payload(base, offset, length, register):
            return expression("payload") { e in
                set32(e, NFTNL_EXPR_PAYLOAD_BASE, base.raw)
                set32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset)
                set32(e, NFTNL_EXPR_PAYLOAD_LEN, length)
                set32(e, NFTNL_EXPR_PAYLOAD_DREG, register.raw)
            }
        case let .compare(register, op, data):
            return expression("cmp") { e in
                set32(e, NFTNL_EXPR_CMP_SREG, register.raw)
                set32(e, NFTNL_EXPR_CMP_OP, op.raw)
                setBytes(e, NFTNL_EXPR_CMP_DATA, data)
            }
        case let .bitwise(register, mask, xor):
            return expression("bitwise") { e in
                set32(e, NFTNL_EXPR_BITWISE_SREG, register.raw)
                set32(e, NFTNL_EXPR_BITWISE_DREG, register.raw)
                set32(e, NFTNL_EXPR_BITWISE_LEN, UInt32(mask.count))
                setBytes(e, NFTNL_EXPR_BITWISE_MASK, mask)
                setBytes(e, NFTNL_EXPR_BITWISE_XOR, xor)
            }
        case let .conntrackStatus(register):
            return expression("ct") { e in
                set32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS.rawValue)
                set32(e, NFTNL_EXPR_CT_DREG, register.raw)
            }
        case let .fibDestinationType(register):
            return expression("fib") { e in
                set32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR.rawValue)
                set32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE.rawValue)
                set32(e, NFTNL_EXPR_FIB_DREG, register.raw)
            }
        case let .lookup(register, set, result):
            return expression("lookup") { e in
                set32(e, NFTNL_EXPR_LOOKUP_SREG, register.raw)
                nftnl_expr_set_str(e, UInt16(NFTNL_EXPR_LOOKUP_SET), set.name)
                set32(e, NFTNL_EXPR_LOOKUP_SET_ID, set.batchID)
                if let result { set32(e, NFTNL_EXPR_LOOKUP_DREG, result.raw) }
            }
        case let .destinationNAT(family, address, port):
            return expression("nat") { e in
                set32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT.rawValue)
                set32(e, NFTNL_EXPR_NAT_FAMILY, UInt32(family == .ipv4 ? NFPROTO_IPV4 : NFPROTO_IPV6))
                set32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, address.raw)
                set32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, port.raw)
            }
        case .masquerade:
            return expression("masq") { _ in }
        case let .verdict(verdict):
            return expression("immediate") { e in
                set32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT.rawValue)
                set32(e, NFTNL_EXPR_IMM_VERDICT, verdict.raw)
            }
        }
    }

    private func expression(_ name: String, _ configure: (OpaquePointer) -> Void) -> OpaquePointer {
        guard let e = nftnl_expr_alloc(name) else { fatalError("libnftnl does not know the expression \(name)") }
        configure(e)
        return e
    }

    private func set32(_ e: OpaquePointer, _ attribute: Int, _ value: UInt32) {
        nftnl_expr_set_u32(e, UInt16(attribute), value)
    }

    private func setBytes(_ e: OpaquePointer, _ attribute: Int, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = nftnl_expr_set(e, UInt16(attribute), $0.baseAddress, UInt32($0.count)) }
    }
}

/// A data register, addressed in 32-bit words as concatenations need: word 0 is where every
/// lookup key starts, and each concatenated field follows in the next whole word.
struct Register {
    let word: UInt32

    static let first = Register(word: 0)
    static func word(_ n: Int) -> Register { Register(word: UInt32(n)) }

    var raw: UInt32 { NFT_REG32_00.rawValue + word }
}
