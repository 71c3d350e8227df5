import Addressing

/// How a network's ranges are cut into blocks that hosts claim, and which host this is. Given to
/// `LeaseManager` by a caller whose store is shared by many hosts; without it, leases are taken
/// from the whole range.
public struct BlockLayout: Sendable, Equatable {
    /// This host's name in the store: a block's owner.
    public let hostID: String
    /// Addresses per block, a power of two (64: a /26 in IPv4, a /122 in IPv6).
    public let size: Int

    /// How long a block stays claimed once its last lease is released, so that a host whose
    /// containers come and go keeps its block (see `BlockAllocator.retire`).
    public let gracePeriod: Duration

    public static let defaultSize = 64
    /// The sizes `blockSize` may take: a block's state holds one character per address.
    public static let sizes = 4...4096
    /// Ten minutes: longer than a crash-looping container's longest restart back-off (Kubernetes
    /// waits at most five minutes), so a host does not give up a block between two restarts of its
    /// only container, and short enough that an idle host's blocks soon serve others.
    public static let defaultGracePeriod: Duration = .seconds(600)

    public init(hostID: String, size: Int = defaultSize, gracePeriod: Duration = defaultGracePeriod) {
        precondition(Self.sizes.contains(size) && size & (size - 1) == 0, "a block size is a power of two in \(Self.sizes)")
        self.hostID = hostID
        self.size = size
        self.gracePeriod = gracePeriod
    }

    /// The block of `range` that holds `address`: aligned to the block size, or the range's whole
    /// subnet when that is smaller.
    func block(of address: IPAddress, in range: IPRange) -> Subnet {
        let hostBits = size.trailingZeroBitCount
        return Subnet(containing: address,
                      prefixLength: max(range.subnet.prefixLength, address.bitWidth - hostBits))
    }

    /// Every block of `range`, in address order, computed as needed (an IPv6 range holds too many to list).
    func blocks(of range: IPRange) -> some Sequence<Subnet> {
        sequence(first: block(of: range.start, in: range)) { block in
            let next = block.lastAddress.advanced(by: 1)
            return block.lastAddress < range.end ? self.block(of: next, in: range) : nil
        }
    }
}
