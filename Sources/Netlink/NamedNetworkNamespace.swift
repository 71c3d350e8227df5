import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// Named namespaces under `/run/netns`, created and removed the way `ip netns add` / `ip netns del` do,
/// so `ip netns` and other tools see them. Plugins only open namespaces; creating them is for the tests
/// and `netctl`'s labs.
extension NetworkNamespace {
    /// Where named namespaces are bind-mounted.
    public static let namedDirectory = "/run/netns"

    /// Creates a network namespace and pins it at `/run/netns/<name>`.
    ///
    /// The new namespace is entered on a short-lived thread of its own, so no thread of the caller ever
    /// changes namespace. Like iproute2, this makes `/run/netns` a shared mount first, so that a later
    /// delete propagates to mount namespaces that copied the entry.
    ///
    /// - Parameter prepare: run on that thread inside the new namespace before it is pinned, so that what it
    ///   sets (a tag on `lo`, say) is there as soon as the name is; if it throws, nothing is pinned.
    /// - Throws: `NetlinkError.exists` if the name is taken.
    public static func create(name: String, preparing prepare: (() throws -> Void)? = nil) throws -> NetworkNamespace {
        let path = try namedPath(name)
        try prepareNamedDirectory()

        let placeholder = Glibc.open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0)
        guard placeholder >= 0 else {
            let code = errno
            if code == EEXIST { throw NetlinkError.exists("network namespace \(name)") }
            throw NetlinkError.system("create \(path)", errno: code)
        }
        close(placeholder)

        do {
            try runOnNewThread {
                guard cnl_unshare_net() == 0 else {
                    throw NetlinkError.system("create network namespace", errno: errno)
                }
                try prepare?()
                guard cnl_mount_bind("/proc/thread-self/ns/net", path, 0) == 0 else {
                    throw NetlinkError.system("bind-mount network namespace on \(path)", errno: errno)
                }
            }
            return try open(path: path)
        } catch {
            _ = cnl_umount_detach(path)
            unlink(path)
            throw error
        }
    }

    /// Unmounts and removes `/run/netns/<name>`. The namespace itself disappears once no process, open
    /// handle or other mount refers to it.
    ///
    /// - Returns: `false` if there was no such namespace (which is not an error).
    @discardableResult
    public static func delete(name: String) throws -> Bool {
        let path = try namedPath(name)
        // Fails harmlessly when the entry is absent or not mounted; unlink below tells the cases apart.
        _ = cnl_umount_detach(path)
        guard unlink(path) == 0 else {
            let code = errno
            if code == ENOENT { return false }
            throw NetlinkError.system("remove \(path)", errno: code)
        }
        return true
    }

    /// Opens the namespace pinned at `/run/netns/<name>`.
    ///
    /// - Throws: `NetlinkError.namespaceNotFound` if there is none.
    public static func open(named name: String) throws -> NetworkNamespace {
        try open(path: namedPath(name))
    }

    /// Whether `/run/netns/<name>` exists.
    public static func exists(named name: String) throws -> Bool {
        access(try namedPath(name), F_OK) == 0
    }

    /// The names under `/run/netns`, sorted; empty when the directory does not exist.
    public static func names() throws -> [String] {
        guard let listing = opendir(namedDirectory) else {
            if errno == ENOENT { return [] }
            throw NetlinkError.system("list \(namedDirectory)", errno: errno)
        }
        defer { closedir(listing) }
        var names: [String] = []
        while let entry = readdir(listing) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func namedPath(_ name: String) throws -> String {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), name.utf8.count <= 255 else {
            throw NetlinkError.invalidArgument("\"\(name)\" is not a valid network namespace name")
        }
        return "\(namedDirectory)/\(name)"
    }

    /// Creates `/run/netns` and makes it a shared mount point, binding it onto itself first if needed.
    private static func prepareNamedDirectory() throws {
        if mkdir(namedDirectory, 0o755) != 0, errno != EEXIST {
            throw NetlinkError.system("create \(namedDirectory)", errno: errno)
        }
        var boundOntoItself = false
        while cnl_mount_make_shared(namedDirectory) != 0 {
            // EINVAL means it is not a mount point yet; anything else, or EINVAL after binding, is real.
            guard errno == EINVAL, !boundOntoItself else {
                throw NetlinkError.system("make \(namedDirectory) a shared mount", errno: errno)
            }
            guard cnl_mount_bind(namedDirectory, namedDirectory, 1) == 0 else {
                throw NetlinkError.system("bind-mount \(namedDirectory) onto itself", errno: errno)
            }
            boundOntoItself = true
        }
    }
}
