import CNftables
import Glibc

/// An element as the kernel reports it.
struct StoredElement {
    let key: [UInt8]
    let value: [UInt8]?
    let userData: [UInt8]
    /// Set when the element is expiring (`Batch.expire`); live elements of ours have no timeout.
    let expiry: Expiry?

    /// An element removed by expiry that has not expired yet: it still holds its key, for at most a
    /// jiffy more.
    struct Expiry {
        let remainingMilliseconds: UInt64
    }

    /// The owner text of the element's comment.
    var ownerText: String? {
        UserData.value(of: UserData.comment, in: userData).map { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

extension NetfilterSocket {
    /// The element of `set` with this key (for a range: the one containing it), or `nil` when there
    /// is none, or no such set or table.
    func element(of set: TableSet, key: [UInt8], keyEnd: [UInt8]? = nil) throws -> StoredElement? {
        let probe = SetElement(set, rawKey: key, summary: "")
        let end = keyEnd.map { SetElement(set, rawKey: $0, summary: "") }
        return try query(set, flags: 0) { s in
            let e = Batch.makeElement(probe, userData: nil)
            if let end {
                end.key.withUnsafeBytes {
                    _ = nftnl_set_elem_set(e, UInt16(NFTNL_SET_ELEM_KEY_END), $0.baseAddress, UInt32($0.count))
                }
            }
            nftnl_set_elem_add(s, e)
        }.first
    }

    /// Every element of `set`; empty when the set or table does not exist.
    func elements(of set: TableSet) throws -> [StoredElement] {
        try query(set, flags: NLM_F_DUMP) { _ in }
    }

    private func query(_ set: TableSet, flags: Int32, elements: (OpaquePointer) -> Void) throws -> [StoredElement] {
        let seq = nextSequence()
        let request = MessageBuffer(capacity: 16384)
        request.append { address in
            let nlh = cnft_nftables_header(address, UInt16(NFT_MSG_GETSETELEM.rawValue), set.family.protocolFamily,
                                           UInt16(flags | NLM_F_ACK), seq)!
            let s = Batch.makeSet(set)
            defer { nftnl_set_free(s) }
            elements(s)
            nftnl_set_elems_nlmsg_build_payload(nlh, s)
            return nlh
        }
        var found: [StoredElement] = []
        if let failure = try dump(request, seq: seq, { found += Self.parseElements($0) }) {
            // No table, no set or no element: all mean "nothing there".
            if failure.error == ENOENT { return [] }
            throw FirewallError.kernel(operation: "read set \(set.name)", errno: failure.error,
                                       reason: failure.description)
        }
        return found
    }

    private static func parseElements(_ header: UnsafePointer<nlmsghdr>) -> [StoredElement] {
        guard cnft_message_type(header) == UInt16(NFT_MSG_NEWSETELEM.rawValue), let s = nftnl_set_alloc() else { return [] }
        defer { nftnl_set_free(s) }
        guard nftnl_set_elems_nlmsg_parse(header, s) >= 0 else { return [] }
        var result: [StoredElement] = []
        _ = withUnsafeMutablePointer(to: &result) { context in
            nftnl_set_elem_foreach(s, { e, context in
                let found = context!.assumingMemoryBound(to: [StoredElement].self)
                let expiry = nftnl_set_elem_is_set(e!, UInt16(NFTNL_SET_ELEM_TIMEOUT))
                    ? StoredElement.Expiry(remainingMilliseconds: nftnl_set_elem_get_u64(e!, UInt16(NFTNL_SET_ELEM_EXPIRATION)))
                    : nil
                found.pointee.append(StoredElement(key: NetfilterSocket.bytes(e!, NFTNL_SET_ELEM_KEY) ?? [],
                                                   value: NetfilterSocket.bytes(e!, NFTNL_SET_ELEM_DATA),
                                                   userData: NetfilterSocket.bytes(e!, NFTNL_SET_ELEM_USERDATA) ?? [],
                                                   expiry: expiry))
                return 0
            }, context)
        }
        return result
    }

    fileprivate static func bytes(_ e: OpaquePointer, _ attribute: Int) -> [UInt8]? {
        guard nftnl_set_elem_is_set(e, UInt16(attribute)) else { return nil }
        var length: UInt32 = 0
        guard let data = nftnl_set_elem_get(e, UInt16(attribute), &length) else { return nil }
        return Array(UnsafeRawBufferPointer(start: data, count: Int(length)))
    }
}
