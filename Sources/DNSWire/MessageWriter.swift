import Addressing

/// Builds a message, compressing names against every name (and suffix) already written.
struct MessageWriter {
    private(set) var bytes: [UInt8] = []
    /// Written names and their suffixes (slices of the names' own wire form, so recording one
    /// allocates nothing) with their offsets, in the order written; pointers reach only the first
    /// 16 KB. A list, not a dictionary: a reply holds a handful of names, and a search of a few
    /// costs less than hashing them.
    private var names: [(suffix: ArraySlice<UInt8>, offset: Int)] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
        // A question's name and its parents, the usual whole of a reply: one allocation.
        names.reserveCapacity(8)
    }

    var count: Int { bytes.count }

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    mutating func u32(_ value: UInt32) {
        u16(UInt16(value >> 16))
        u16(UInt16(value & 0xFFFF))
    }

    mutating func set16(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(value & 0xFF)
    }

    mutating func header(_ header: DNSHeader) {
        u16(header.id)
        u16(header.flags)
        u16(header.questionCount)
        u16(header.answerCount)
        u16(header.authorityCount)
        u16(header.additionalCount)
    }

    mutating func name(_ name: DNSName) {
        let wire = name.wire
        var offset = 0
        while offset < wire.count {
            let suffix = wire[offset...]
            if let target = names.first(where: { DNSName.sameWire($0.suffix, suffix) }) {
                u16(0xC000 | UInt16(target.offset))
                return
            }
            if bytes.count < 0x4000 { names.append((suffix, bytes.count)) }
            let end = offset + 1 + Int(wire[offset])
            bytes.append(contentsOf: wire[offset..<end])
            offset = end
        }
        u8(0)
    }

    mutating func question(_ question: DNSQuestion) {
        name(question.name)
        u16(question.type.rawValue)
        u16(question.recordClass)
    }

    mutating func record(_ record: ResourceRecord) {
        name(record.name)
        u16(record.type.rawValue)
        u16(record.recordClass)
        u32(record.ttl)
        let lengthOffset = bytes.count
        u16(0)
        switch record.data {
        case .a(let address):
            bytes.append(contentsOf: address.bytes)
        case .aaaa(let address):
            bytes.append(contentsOf: address.bytes)
        case .ptr(let target):
            name(target)
        case .soa(let soa):
            name(soa.primary)
            name(soa.mailbox)
            u32(soa.serial)
            u32(soa.refresh)
            u32(soa.retry)
            u32(soa.expire)
            u32(soa.minimum)
        case .opaque(_, let data):
            bytes.append(contentsOf: data)
        }
        set16(UInt16(bytes.count - lengthOffset - 2), at: lengthOffset)
    }

    /// Undoes everything written after `offset`, compression targets included.
    mutating func rollback(to offset: Int) {
        bytes.removeSubrange(offset...)
        while let last = names.last, last.offset >= offset { names.removeLast() }
    }
}
