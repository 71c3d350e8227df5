import Glibc
import KV
import POSIX

/// A `BlockMemory` in one file, replaced whole on each `keep` so that a reader never sees half of
/// it, in a directory made (mode 0700, with its parents) if it is not there. A file that cannot be
/// read or parsed recalls nothing.
///
/// The file holds one record per block: a line `<mod revision> <value bytes> <key>`, then the value.
public struct BlockMemoryFile: BlockMemory {
    public let path: String
    /// A network's blocks are a few hundred bytes each; more than this is not a memory of ours.
    static let limit = 1 << 20

    public init(path: String) {
        self.path = path
    }

    public func recall() -> [KeyValue] {
        guard let bytes = try? RegularFile.contents(atPath: path, limit: Self.limit) else { return [] }
        var blocks: [KeyValue] = []
        var rest = bytes[...]
        while !rest.isEmpty {
            guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")) else { return [] }
            let fields = rest[..<newline].split(separator: UInt8(ascii: " "), maxSplits: 2)
            guard fields.count == 3, let revision = Int64(String(decoding: fields[0], as: UTF8.self)), revision > 0,
                  let count = Int(String(decoding: fields[1], as: UTF8.self)), count >= 0,
                  count <= rest.distance(from: newline, to: rest.endIndex) - 1 else { return [] }
            let value = rest[rest.index(after: newline)...].prefix(count)
            blocks.append(KeyValue(key: String(decoding: fields[2], as: UTF8.self), value: Array(value),
                                   createRevision: 0, modRevision: revision, version: 0))
            rest = rest[value.endIndex...]
        }
        return blocks
    }

    public func keep(_ blocks: [KeyValue]) {
        var bytes: [UInt8] = []
        for block in blocks {
            bytes += Array("\(block.modRevision) \(block.value.count) \(block.key)\n".utf8)
            bytes += block.value
        }
        // A memory that cannot be written costs the next run one read; the ADD itself succeeded.
        do {
            try RegularFile.replace(atPath: path, with: bytes)
        } catch where error.code == ENOENT {
            var directory = ""
            for component in path.split(separator: "/").dropLast() {
                directory += "/" + component
                mkdir(directory, 0o700)
            }
            try? RegularFile.replace(atPath: path, with: bytes)
        } catch {}
    }
}
