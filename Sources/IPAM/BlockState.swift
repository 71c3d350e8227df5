import Addressing

/// One block's key value: its owner, where its round robin stopped, and which of its addresses are
/// leased, one character per address (`1` leased). Written in the same transaction as the leases it
/// counts, so it never disagrees with them.
///
///     ipam/<network>/blocks/<block>  -> "<hostID>\n<cursor>\n<0 and 1 per address>"
struct BlockState: Equatable {
    var owner: String
    /// Offset of the address leased last.
    var cursor: Int
    var used: [Bool]

    init(owner: String, size: Int) {
        self.owner = owner
        cursor = size - 1
        used = Array(repeating: false, count: size)
    }

    /// `nil` for a value of another shape or size.
    init?(value: String, size: Int) {
        let parts = value.split(separator: "\n", omittingEmptySubsequences: false)
        guard parts.count == 3, let cursor = Int(parts[1]), (0..<size).contains(cursor),
              parts[2].utf8.count == size else { return nil }
        owner = String(parts[0])
        self.cursor = cursor
        used = parts[2].utf8.map { $0 == UInt8(ascii: "1") }
    }

    var value: String {
        var text = owner + "\n\(cursor)\n"
        text.unicodeScalars.append(contentsOf: used.map { $0 ? "1" : "0" })
        return text
    }

    /// The first free address of `block` that `range` may lease, after the cursor and wrapping
    /// around once; `skipping` names addresses known to be held although their bits are clear.
    func free(in block: Subnet, range: IPRange, skipping taken: Set<IPAddress>) -> IPAddress? {
        for step in 1...used.count {
            let offset = (cursor + step) % used.count
            let address = block.network.advanced(by: offset)
            if !used[offset], range.canLease(address), !taken.contains(address) { return address }
        }
        return nil
    }

    mutating func mark(_ address: IPAddress, in block: Subnet, used isUsed: Bool) {
        let offset = Self.offset(of: address, in: block)
        used[offset] = isUsed
        if isUsed { cursor = offset }
    }

    func isUsed(_ address: IPAddress, in block: Subnet) -> Bool { used[Self.offset(of: address, in: block)] }

    private static func offset(of address: IPAddress, in block: Subnet) -> Int {
        switch (address, block.network) {
        case let (.v4(a), .v4(b)): Int(a.value - b.value)
        case let (.v6(a), .v6(b)): Int(a.low - b.low)
        default: preconditionFailure("an address of another family than its block")
        }
    }
}
