import Addressing

/// Ranges of one family that together form one pool (host-local's range set). Each range set
/// yields exactly one address per attachment, so one IPv4 and one IPv6 set give dual-stack.
public struct RangeSet: Sendable, Equatable {
    public let ranges: [IPRange]

    public init(_ ranges: [IPRange]) throws {
        guard let family = ranges.first?.family else {
            throw IPAMError.invalidConfig("a range set must contain at least one range")
        }
        guard ranges.allSatisfy({ $0.family == family }) else {
            throw IPAMError.invalidConfig("range set \(ranges) mixes IPv4 and IPv6 ranges")
        }
        for (i, a) in ranges.enumerated() {
            for b in ranges[(i + 1)...] where a.overlaps(b) {
                throw IPAMError.invalidConfig("ranges \(a) and \(b) overlap")
            }
        }
        self.ranges = ranges
    }

    public var family: AddressFamily { ranges[0].family }

    /// The range that may lease `address`, if any.
    public func range(leasing address: IPAddress) -> IPRange? {
        ranges.first { $0.canLease(address) }
    }

    /// The range whose subnet contains `address` (leasable or not).
    public func range(containing address: IPAddress) -> IPRange? {
        ranges.first { $0.subnet.contains(address) }
    }

    /// Every leasable address, beginning just after `last` and wrapping around once (host-local's
    /// round robin, which avoids handing a freed address out again at once while ARP and conntrack
    /// entries for it may linger).
    public func candidates(after last: IPAddress?) -> some Sequence<(IPAddress, IPRange)> {
        let ordered = ranges.sorted { $0.start < $1.start }
        var first = 0
        var resume = ordered[0].start
        if let last, let index = ordered.firstIndex(where: { $0.start <= last && last <= $0.end }) {
            first = last < ordered[index].end ? index : (index + 1) % ordered.count
            resume = last < ordered[index].end ? last.advanced(by: 1) : ordered[first].start
        }
        // The lap as inclusive segments: the rest of the first range, every other range, then the
        // part of the first range before the resume point.
        var segments = [(resume, ordered[first].end, ordered[first])]
        for step in 1..<ordered.count {
            let range = ordered[(first + step) % ordered.count]
            segments.append((range.start, range.end, range))
        }
        if resume > ordered[first].start {
            segments.append((ordered[first].start, resume.advanced(by: -1), ordered[first]))
        }
        return segments.lazy.flatMap { low, high, range in
            sequence(first: low) { $0 < high ? $0.advanced(by: 1) : nil }.lazy.map { ($0, range) }
        }.filter { $0.1.canLease($0.0) }
    }
}

extension RangeSet: CustomStringConvertible {
    public var description: String { ranges.map(\.description).joined(separator: ",") }
}
