import CNftables

/// One nf_tables transaction: messages between a batch-begin and a batch-end, sent in one
/// `sendmsg` and applied by the kernel whole or not at all. Each message asks for an ack, so a
/// failure names the message (and so the element) that caused it.
final class Batch {
    private let socket: NetfilterSocket
    private let buffer = MessageBuffer()
    private var messages: [UInt32: Purpose] = [:]

    /// Why a message is in the batch, to explain a failure.
    enum Purpose {
        case schema(String)
        case add(SetElement)
        case remove(TableSet)
    }

    /// A message the kernel refused, and why.
    struct Failure {
        let purpose: Purpose
        let ack: KernelAck
    }

    init(socket: NetfilterSocket) {
        self.socket = socket
        let seq = socket.nextSequence()
        buffer.append { nftnl_batch_begin($0.assumingMemoryBound(to: CChar.self), seq) }
    }

    // MARK: Schema

    /// Creates the table with its sets and chains if they are missing, rewrites the chains' rules
    /// and records the schema's marker (see `Ruleset.marker`). Creating existing objects without
    /// NLM_F_EXCL is a no-op, and flushing then appending the rules in the same transaction leaves
    /// exactly one copy of them, so concurrent first ADDs all succeed.
    func ensureSchema(_ family: TableFamily) {
        message(NFT_MSG_NEWTABLE, family, flags: NLM_F_CREATE, .schema("create table \(family.name) swift-cni")) {
            nlh in
            let table = nftnl_table_alloc()!
            defer { nftnl_table_free(table) }
            nftnl_table_set_str(table, UInt16(NFTNL_TABLE_NAME.rawValue), TableFamily.tableName)
            nftnl_table_set_u32(table, UInt16(NFTNL_TABLE_FAMILY.rawValue), UInt32(family.protocolFamily))
            nftnl_table_nlmsg_build_payload(nlh, table)
        }
        for set in TableSet.all where set.family == family {
            message(NFT_MSG_NEWSET, family, flags: NLM_F_CREATE, .schema("create set \(set.name)")) { nlh in
                let s = Self.makeSet(set)
                defer { nftnl_set_free(s) }
                nftnl_set_set_u32(s, UInt16(NFTNL_SET_FLAGS.rawValue), set.flags)
                nftnl_set_set_u32(s, UInt16(NFTNL_SET_KEY_TYPE.rawValue), set.key.nftType)
                nftnl_set_set_u32(s, UInt16(NFTNL_SET_KEY_LEN.rawValue), UInt32(set.key.byteLength))
                if set.isMap {
                    nftnl_set_set_u32(s, UInt16(NFTNL_SET_DATA_TYPE.rawValue), set.value.nftType)
                    nftnl_set_set_u32(s, UInt16(NFTNL_SET_DATA_LEN.rawValue), UInt32(set.value.byteLength))
                }
                if set.key == [.interfaceName] {
                    // nftables reads a lone string key in host byte order only when told so; without
                    // this `nft list` shows the names reversed (kernel matching is unaffected).
                    let keyByteOrderHost: [UInt8] = [0, 4, 1, 0, 0, 0]  // NFTNL_UDATA_SET_KEYBYTEORDER
                    keyByteOrderHost.withUnsafeBytes {
                        _ = nftnl_set_set_data(s, UInt16(NFTNL_SET_USERDATA.rawValue), $0.baseAddress, UInt32($0.count))
                    }
                }
                if set.interval && set.key.count > 1 {
                    let lengths = set.key.map { UInt8($0.length) }
                    lengths.withUnsafeBytes {
                        _ = nftnl_set_set_data(s, UInt16(NFTNL_SET_DESC_CONCAT.rawValue), $0.baseAddress, UInt32($0.count))
                    }
                }
                nftnl_set_nlmsg_build_payload(nlh, s)
            }
        }
        for chain in Ruleset.chains(of: family) {
            message(NFT_MSG_NEWCHAIN, family, flags: NLM_F_CREATE, .schema("create chain \(chain.name)")) { nlh in
                let c = nftnl_chain_alloc()!
                defer { nftnl_chain_free(c) }
                nftnl_chain_set_str(c, UInt16(NFTNL_CHAIN_TABLE.rawValue), TableFamily.tableName)
                nftnl_chain_set_str(c, UInt16(NFTNL_CHAIN_NAME.rawValue), chain.name)
                nftnl_chain_set_str(c, UInt16(NFTNL_CHAIN_TYPE.rawValue), chain.kind.rawValue)
                nftnl_chain_set_u32(c, UInt16(NFTNL_CHAIN_HOOKNUM.rawValue), chain.hook)
                nftnl_chain_set_s32(c, UInt16(NFTNL_CHAIN_PRIO.rawValue), chain.priority)
                nftnl_chain_set_u32(c, UInt16(NFTNL_CHAIN_POLICY.rawValue), UInt32(NF_ACCEPT))
                nftnl_chain_nlmsg_build_payload(nlh, c)
            }
            message(NFT_MSG_DELRULE, family, flags: 0, .schema("flush chain \(chain.name)")) { nlh in
                let r = Self.makeRule(in: chain)
                defer { nftnl_rule_free(r) }
                nftnl_rule_nlmsg_build_payload(nlh, r)
            }
            for expressions in chain.rules {
                message(NFT_MSG_NEWRULE, family, flags: NLM_F_CREATE | NLM_F_APPEND,
                        .schema("add a rule to chain \(chain.name)")) { nlh in
                    let r = Self.makeRule(in: chain)
                    defer { nftnl_rule_free(r) }
                    for expression in expressions { nftnl_rule_add_expr(r, expression.make()) }
                    nftnl_rule_nlmsg_build_payload(nlh, r)
                }
            }
        }
        add(Ruleset.marker(family), userData: Ruleset.markerComment, exclusive: false)
    }

    // MARK: Elements

    /// Adds `element` with `userData`. Exclusive (the default), it fails with EEXIST if the key is
    /// already present: a key held by another owner is a conflict, never silently taken over.
    func add(_ element: SetElement, userData: [UInt8], exclusive: Bool = true) {
        let flags = NLM_F_CREATE | (exclusive ? NLM_F_EXCL : 0)
        message(NFT_MSG_NEWSETELEM, element.set.family, flags: flags, .add(element)) { nlh in
            let s = Self.makeSet(element.set)
            defer { nftnl_set_free(s) }
            nftnl_set_elem_add(s, Self.makeElement(element, userData: userData))
            nftnl_set_elems_nlmsg_build_payload(nlh, s)
        }
    }

    /// Deletes `elements` of one set; missing ones are fine (DESTROY, not DELETE).
    ///
    /// nf_tables frees deleted elements only after an RCU grace period (15-40 ms here), and until
    /// then every netfilter socket that closes in the namespace waits for it, holding the commit
    /// mutex that every other batch and every link unregistration needs. Removals therefore
    /// `expire` where they can.
    func delete(_ elements: [SetElement], from set: TableSet) {
        guard !elements.isEmpty else { return }
        message(UInt16(cnft_msg_destroysetelem), set.family, flags: 0, .remove(set)) { nlh in
            let s = Self.makeSet(set)
            defer { nftnl_set_free(s) }
            for element in elements { nftnl_set_elem_add(s, Self.makeElement(element, userData: nil)) }
            nftnl_set_elems_nlmsg_build_payload(nlh, s)
        }
    }

    /// Makes `elements` of one set expire now: gives them the shortest timeout, one millisecond
    /// (the kernel rounds it up to one jiffy). From then on they match nothing, and nobody lists or
    /// finds them; the set's garbage collection frees them without the grace-period wait that
    /// `delete` leaves behind. A missing element is created already expiring, which is harmless.
    ///
    /// Sets made by a build without timeouts refuse this (EINVAL), and a kernel that cannot update
    /// an element's timeout ignores it: `Firewall` checks and deletes instead.
    func expire(_ elements: [SetElement], in set: TableSet) {
        guard !elements.isEmpty else { return }
        message(NFT_MSG_NEWSETELEM, set.family, flags: NLM_F_CREATE, .remove(set)) { nlh in
            let s = Self.makeSet(set)
            defer { nftnl_set_free(s) }
            for element in elements {
                let e = Self.makeElement(element, userData: nil)
                nftnl_set_elem_set_u64(e, UInt16(NFTNL_SET_ELEM_TIMEOUT), 1)
                nftnl_set_elem_set_u64(e, UInt16(NFTNL_SET_ELEM_EXPIRATION), 1)
                nftnl_set_elem_add(s, e)
            }
            nftnl_set_elems_nlmsg_build_payload(nlh, s)
        }
    }

    // MARK: Commit

    /// Sends the batch; returns the messages the kernel refused (empty when it applied everything).
    func commit() throws -> [Failure] {
        let seq = socket.nextSequence()
        buffer.append { nftnl_batch_end($0.assumingMemoryBound(to: CChar.self), seq) }
        let acks = try socket.exchange(buffer, expecting: Set(messages.keys))
        return acks.filter { $0.value.error != 0 }.sorted { $0.key < $1.key }.compactMap { seq, ack in
            messages[seq].map { Failure(purpose: $0, ack: ack) }
        }
    }

    // MARK: Building

    private func message(_ type: nf_tables_msg_types, _ family: TableFamily, flags: Int32, _ purpose: Purpose,
                         payload: (UnsafeMutablePointer<nlmsghdr>) -> Void) {
        message(UInt16(type.rawValue), family, flags: flags, purpose, payload: payload)
    }

    private func message(_ type: UInt16, _ family: TableFamily, flags: Int32, _ purpose: Purpose,
                         payload: (UnsafeMutablePointer<nlmsghdr>) -> Void) {
        let seq = socket.nextSequence()
        messages[seq] = purpose
        buffer.append { address in
            let nlh = cnft_nftables_header(address, type, family.protocolFamily, UInt16(flags | NLM_F_ACK), seq)!
            payload(nlh)
            return nlh
        }
    }

    static func makeSet(_ set: TableSet) -> OpaquePointer {
        let s = nftnl_set_alloc()!
        nftnl_set_set_str(s, UInt16(NFTNL_SET_TABLE.rawValue), TableFamily.tableName)
        nftnl_set_set_str(s, UInt16(NFTNL_SET_NAME.rawValue), set.name)
        nftnl_set_set_u32(s, UInt16(NFTNL_SET_FAMILY.rawValue), UInt32(set.family.protocolFamily))
        nftnl_set_set_u32(s, UInt16(NFTNL_SET_ID.rawValue), set.batchID)
        return s
    }

    private static func makeRule(in chain: Chain) -> OpaquePointer {
        let r = nftnl_rule_alloc()!
        nftnl_rule_set_str(r, UInt16(NFTNL_RULE_TABLE.rawValue), TableFamily.tableName)
        nftnl_rule_set_str(r, UInt16(NFTNL_RULE_CHAIN.rawValue), chain.name)
        nftnl_rule_set_u32(r, UInt16(NFTNL_RULE_FAMILY.rawValue), UInt32(chain.family.protocolFamily))
        return r
    }

    static func makeElement(_ element: SetElement, userData: [UInt8]?) -> OpaquePointer {
        let e = nftnl_set_elem_alloc()!
        setBytes(e, NFTNL_SET_ELEM_KEY, element.key)
        if let end = element.keyEnd { setBytes(e, NFTNL_SET_ELEM_KEY_END, end) }
        if let value = element.value { setBytes(e, NFTNL_SET_ELEM_DATA, value) }
        if let userData { setBytes(e, NFTNL_SET_ELEM_USERDATA, userData) }
        return e
    }

    private static func setBytes(_ e: OpaquePointer, _ attribute: Int, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = nftnl_set_elem_set(e, UInt16(attribute), $0.baseAddress, UInt32($0.count)) }
    }
}
