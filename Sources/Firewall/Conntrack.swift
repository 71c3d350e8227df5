import Addressing
import CNftables
import Glibc

/// Connection tracking entries of published UDP ports. A UDP "connection" seen before a mapping
/// existed (or while it pointed at a container now gone) stays tracked, and keeps its old NAT
/// decision, for as long as packets keep coming; forgetting it makes the next packet take the
/// current mapping. TCP needs no such help: a new connection gets a new entry.
struct Conntrack {
    private let socket: NetfilterSocket

    init(socket: NetfilterSocket) { self.socket = socket }

    /// Deletes the UDP entries whose original destination is `forward`'s host port (and host
    /// address, when it has one). Returns how many it deleted.
    @discardableResult
    func forget(_ forward: PortForward) throws -> Int {
        let tuples = try originalTuples(of: forward)
        for tuple in tuples {
            try delete(tuple, family: forward.family)
        }
        return tuples.count
    }

    // CTA_FILTER_F_* in the kernel's nf_conntrack_netlink.c (and libnetfilter_conntrack).
    private static let filterDestinationAddress: UInt32 = 1 << 1
    private static let filterProtocol: UInt32 = 1 << 3
    private static let filterDestinationPort: UInt32 = 1 << 5

    /// The original-direction tuples of matching entries, as raw CTA_TUPLE_ORIG attributes
    /// (kernel-side filtered dump, Linux 5.8+).
    private func originalTuples(of forward: PortForward) throws -> [[UInt8]] {
        let seq = socket.nextSequence()
        let request = MessageBuffer(capacity: 4096)
        request.append { address in
            let nlh = cnft_conntrack_header(address, UInt16(IPCTNL_MSG_CT_GET.rawValue), Self.family(forward.family),
                                            UInt16(NLM_F_DUMP), seq)!
            let tuple = mnl_attr_nest_start(nlh, UInt16(CTA_TUPLE_ORIG.rawValue))
            var flags = Self.filterProtocol | Self.filterDestinationPort
            if let host = forward.hostAddress {
                let ip = mnl_attr_nest_start(nlh, UInt16(CTA_TUPLE_IP.rawValue))
                let type = host.family == .ipv4 ? CTA_IP_V4_DST.rawValue : CTA_IP_V6_DST.rawValue
                host.bytes.withUnsafeBytes { mnl_attr_put(nlh, UInt16(type), $0.count, $0.baseAddress) }
                mnl_attr_nest_end(nlh, ip)
                flags |= Self.filterDestinationAddress
            }
            let proto = mnl_attr_nest_start(nlh, UInt16(CTA_TUPLE_PROTO.rawValue))
            mnl_attr_put_u8(nlh, UInt16(CTA_PROTO_NUM.rawValue), TransportProtocol.udp.number)
            mnl_attr_put_u16(nlh, UInt16(CTA_PROTO_DST_PORT.rawValue), forward.hostPort.bigEndian)
            mnl_attr_nest_end(nlh, proto)
            mnl_attr_nest_end(nlh, tuple)
            let filter = mnl_attr_nest_start(nlh, UInt16(CTA_FILTER.rawValue))
            mnl_attr_put_u32(nlh, UInt16(CTA_FILTER_ORIG_FLAGS.rawValue), flags)
            mnl_attr_put_u32(nlh, UInt16(CTA_FILTER_REPLY_FLAGS.rawValue), 0)
            mnl_attr_nest_end(nlh, filter)
            return nlh
        }
        var tuples: [[UInt8]] = []
        let failure = try socket.dump(request, seq: seq) { header in
            if let tuple = Self.originalTuple(in: header) { tuples.append(tuple) }
        }?.error ?? 0
        // No conntrack module loaded means nothing is tracked.
        guard failure == 0 || failure == ENOENT || failure == EPROTONOSUPPORT else {
            throw FirewallError.kernel(operation: "list conntrack entries of \(forward.hostSide)", errno: failure,
                                       reason: String(cString: strerror(failure)))
        }
        return tuples
    }

    private func delete(_ tuple: [UInt8], family: AddressFamily) throws {
        let seq = socket.nextSequence()
        let request = MessageBuffer(capacity: 4096)
        request.append { address in
            let nlh = cnft_conntrack_header(address, UInt16(IPCTNL_MSG_CT_DELETE.rawValue), Self.family(family),
                                            UInt16(NLM_F_ACK), seq)!
            tuple.withUnsafeBytes { raw in
                // The attribute as the kernel sent it: header included, so copy it whole.
                let destination = UnsafeMutableRawPointer(mutating: mnl_nlmsg_get_payload_tail(nlh))!
                destination.copyMemory(from: raw.baseAddress!, byteCount: raw.count)
                nlh.pointee.nlmsg_len += UInt32((raw.count + 3) & ~3)
            }
            return nlh
        }
        let acks = try socket.exchange(request, expecting: [seq])
        // ENOENT: the entry timed out or was deleted meanwhile, which is just as good.
        if let ack = acks[seq], ack.error != 0, ack.error != ENOENT {
            throw FirewallError.kernel(operation: "delete a conntrack entry", errno: ack.error, reason: ack.description)
        }
    }

    private static func originalTuple(in header: UnsafePointer<nlmsghdr>) -> [UInt8]? {
        var attribute = UnsafePointer<nlattr>(OpaquePointer(mnl_nlmsg_get_payload_offset(header, 4)))
        let end = UnsafeRawPointer(header) + Int(header.pointee.nlmsg_len)
        while let current = attribute, mnl_attr_ok(current, Int32(end - UnsafeRawPointer(current))) {
            if mnl_attr_get_type(current) == UInt16(CTA_TUPLE_ORIG.rawValue) {
                return Array(UnsafeRawBufferPointer(start: current, count: Int(current.pointee.nla_len)))
            }
            attribute = UnsafePointer(mnl_attr_next(current))
        }
        return nil
    }

    private static func family(_ family: AddressFamily) -> UInt8 {
        UInt8(family == .ipv4 ? AF_INET : AF_INET6)
    }
}
