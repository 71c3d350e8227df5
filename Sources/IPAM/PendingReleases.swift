import Identity
import KV

/// Releases a DEL could not make because the shared store did not answer, kept in the host's own
/// store until a later run of the network reaches the shared one again. Meanwhile the addresses stay
/// leased in the shared store, so no one else is given them.
///
///     ipam/<network>/pending/<containerID>/<ifname>  -> ""   (in the host's store)
public struct PendingReleases {
    private let keys: LeaseKeys
    private let openExisting: () throws -> (any KeyValueStore)?
    private let open: () throws -> any KeyValueStore

    /// `openExisting` opens the host's store if it is there (`nil`: nothing can be pending), `open`
    /// opens it, creating it if need be, to record a release.
    public init(network: NetworkName, openExisting: @escaping () throws -> (any KeyValueStore)?,
                open: @escaping () throws -> any KeyValueStore) {
        keys = LeaseKeys(network: network)
        self.openExisting = openExisting
        self.open = open
    }

    /// Remembers that `attachment`'s lease is still to be released.
    func record(_ attachment: Attachment) throws {
        try open().put(keys.pending(attachment), [])
    }

    /// Releases what is pending through `leases`, forgetting each release once made; stops at the
    /// first that fails, which stays pending. A host store that cannot be read holds nothing pending
    /// here: the error shows when a release is next recorded in it.
    func complete(with leases: LeaseManager) throws {
        guard let store = try? openExisting(),
              let pending = try? store.range(prefix: keys.pendings).kvs, !pending.isEmpty else { return }
        for kv in pending {
            guard let attachment = keys.attachment(fromPendingKey: kv.key) else {
                try store.delete(kv.key)
                continue
            }
            try leases.release(attachment)
            try store.delete(kv.key)
        }
    }

    /// Whether `error` means the shared store may answer later, so that a DEL records its release
    /// rather than failing.
    static func isTransient(_ error: any Error) -> Bool {
        switch error as? KVError {
        case .unavailable?, .contention?: true
        default: false
        }
    }
}

extension LeaseKeys {
    func pending(_ attachment: Attachment) -> String {
        pendings + "\(attachment.containerID)/\(attachment.interface)"
    }

    var pendings: String { prefix + "pending/" }

    /// The attachment a pending-release key of this network names, or `nil` for a key of another shape.
    func attachment(fromPendingKey key: String) -> Attachment? {
        guard key.unicodeScalars.starts(with: pendings.unicodeScalars) else { return nil }
        let rest = String(key.unicodeScalars.dropFirst(pendings.unicodeScalars.count))
        return AttachmentID(text: "\(network)/\(rest)")?.attachment
    }
}
