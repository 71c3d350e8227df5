import Glibc

/// The runner's guard on CNI_NETNS before ADD, DEL and CHECK.
///
/// - A path that does not exist is code 3 on ADD and CHECK (the container is gone). On DEL it is
///   passed through unchanged: the plugin must still release what it holds outside the namespace,
///   and only it knows what that is (the reference plugins do their IPAM DEL and succeed).
/// - A path naming the plugin's own network namespace (same device and inode as
///   `/proc/self/ns/net`) is code 8 unless CNI_NETNS_OVERRIDE is set or the plugin accepts it:
///   a recycled PID once made runtimes configure the host's `lo` this way (kubernetes#100648).
/// - Any other failure to stat the path is left to the plugin, which will fail to open it and say
///   why better than we could here.
enum NamespaceCheck {
    static func verify(netns: String?, command: CNICommand, allowOwnNamespace: Bool) throws {
        guard let netns else { return }
        let target: NamespaceIdentity
        switch NamespaceIdentity.of(path: netns) {
        case .success(let identity):
            target = identity
        case .failure(let error) where error.code == ENOENT && command != .del:
            throw CNIError(.unknownContainer, "container unknown or does not exist",
                           details: "netns \(netns) does not exist")
        case .failure:
            return
        }
        guard !allowOwnNamespace else { return }
        guard case .success(let own) = NamespaceIdentity.of(path: "/proc/self/ns/net") else {
            throw CNIError(.invalidNetNS, "cannot identify the plugin's own network namespace",
                           details: "stat /proc/self/ns/net failed; set CNI_NETNS_OVERRIDE=1 to skip this check")
        }
        if own == target {
            throw CNIError(.invalidNetNS, "plugin's netns and netns from CNI_NETNS should not be the same",
                           details: "CNI_NETNS \(netns) is the plugin's own network namespace")
        }
    }
}

/// A namespace file as the kernel identifies it: nsfs device and inode.
private struct NamespaceIdentity: Equatable {
    let device: UInt64
    let inode: UInt64

    static func of(path: String) -> Result<NamespaceIdentity, Errno> {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(Errno(errno)) }
        return .success(NamespaceIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)))
    }
}
