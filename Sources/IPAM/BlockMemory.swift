import KV

/// Where a `BlockAllocator` keeps the blocks as it last saw them from one process to the next, so
/// that an ADD in a new process commits without reading them first.
///
/// What it holds is only a hint: every commit compares the revision of each block it writes, and one
/// made on stale blocks fails and reads them again in the same request. A memory that is lost,
/// garbled or out of date costs at most that one failed commit.
public protocol BlockMemory {
    /// The blocks last kept (key, value and mod revision each), or none.
    func recall() -> [KeyValue]
    /// Keeps `blocks` in place of what was kept.
    func keep(_ blocks: [KeyValue])
}
