import CNI

/// The interfaces a bridge ADD result lists, in their order there (the reference bridge's): the
/// bridge, the host end of the veth pair, and the container's end, which the result's addresses
/// name by position.
enum BridgeResultInterface: Int, CaseIterable {
    case bridge, hostVeth, container
}

extension CNIResult {
    /// The interface a bridge result lists as `which`; `nil` when the result (a prevResult, say)
    /// has no such entry.
    func interface(_ which: BridgeResultInterface) -> Interface? {
        interfaces.indices.contains(which.rawValue) ? interfaces[which.rawValue] : nil
    }
}
