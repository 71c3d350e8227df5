import Glibc
import Identity
import KV

/// Releases a DEL could not make because the shared store did not answer, kept in the host's own
/// store until a later run of the network reaches the shared one again. Meanwhile the addresses stay
/// leased in the shared store, so no one else is given them.
///
///     ipam-pending/<store>/<network>/<containerID>/<ifname>  -> ""   (in the host's store)
///
/// `<store>` names the shared store the lease is in (its tag), so that networks of the same name on
/// two shared stores, with one host store between them, each complete only their own releases.
///
/// A marker file beside the host's store says that something may be pending, so that a run with
/// nothing to do costs one `access` rather than opening the store. A release is recorded before the
/// marker is made, and a run removes the marker before it reads what is pending, making it again
/// if anything is left: whatever the interleaving, a record is never left without its marker
/// except by a run that crashed in between, and GC, which reads the store whatever the marker says,
/// finds that one.
public struct PendingReleases {
    /// Where every network's pending releases live in the host's store.
    static let root = "ipam-pending/"

    private let network: NetworkName
    private let store: String
    private let markerPath: String
    private let openExisting: () throws -> (any KeyValueStore)?
    private let open: () throws -> any KeyValueStore

    /// `sharedStore` names the shared store (a key component, the same exactly when the store is).
    /// `openExisting` opens the host's store if it is there (`nil`: nothing can be pending), `open`
    /// opens it, creating it if need be, to record a release; `markerPath` is the marker file.
    public init(network: NetworkName, sharedStore: String, markerPath: String,
                openExisting: @escaping () throws -> (any KeyValueStore)?, open: @escaping () throws -> any KeyValueStore) {
        self.network = network
        store = sharedStore
        self.markerPath = markerPath
        self.openExisting = openExisting
        self.open = open
    }

    /// Remembers that `attachment`'s lease is still to be released.
    func record(_ attachment: Attachment) throws {
        try open().put(key(attachment), [])
        let fd = Glibc.open(markerPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw KVError.unavailable("cannot create \(markerPath): \(String(cString: strerror(errno)))")
        }
        close(fd)
    }

    /// Releases what is pending for the network through `leases`, forgetting each release once made;
    /// stops at the first that fails, which stays pending. Without the marker nothing is read,
    /// unless `always` (GC). A host store that cannot be read holds nothing pending here: the error
    /// shows when a release is next recorded in it.
    func complete(with leases: LeaseManager, always: Bool = false) throws {
        guard access(markerPath, F_OK) == 0 || always else { return }
        unlink(markerPath)
        guard let store = try? openExisting() else { return }
        defer {
            if (try? store.range(prefix: Self.root).kvs.isEmpty) != true {
                close(Glibc.open(markerPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600))
            }
        }
        guard let pending = try? store.range(prefix: prefix).kvs else { return }
        for kv in pending {
            if let attachment = attachment(fromKey: kv.key) { try leases.release(attachment) }
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

    private var prefix: String { Self.root + "\(store)/\(network)/" }

    func key(_ attachment: Attachment) -> String {
        prefix + "\(attachment.containerID)/\(attachment.interface)"
    }

    /// The attachment a pending-release key of this network names, or `nil` for a key of another shape.
    private func attachment(fromKey key: String) -> Attachment? {
        guard key.unicodeScalars.starts(with: prefix.unicodeScalars) else { return nil }
        let rest = String(key.unicodeScalars.dropFirst(prefix.unicodeScalars.count))
        return AttachmentID(text: "\(network)/\(rest)")?.attachment
    }
}
