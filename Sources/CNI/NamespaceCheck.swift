import Glibc
import POSIX

/// The runner's guard on CNI_NETNS before ADD, DEL and CHECK.
///
/// - A path that does not exist is code 3 on ADD and CHECK (the container is gone). On DEL it is
///   passed through unchanged: the plugin must still release what it holds outside the namespace,
///   and only it knows what that is (the reference plugins do their IPAM DEL and succeed).
/// - A path naming anything but a regular file (namespace files are regular files of nsfs) is
///   code 3 on ADD and CHECK too, as a file that is not a namespace is when a plugin opens it:
///   refused before anything opens it, since opening a FIFO blocks until a writer comes and
///   opening a device may act on it. On DEL it is passed through like a missing path.
/// - A path naming the plugin's own network namespace (same device and inode as
///   `/proc/self/ns/net`) is code 8 unless CNI_NETNS_OVERRIDE is set or the plugin accepts it:
///   a recycled PID once made runtimes configure the host's `lo` this way (kubernetes#100648).
/// - Any other failure to stat the path is left to the plugin, which will fail to open it and say
///   why better than we could here.
enum NamespaceCheck {
    static func verify(netns: String?, command: CNICommand, allowOwnNamespace: Bool) throws {
        guard let netns else { return }
        let target: NamespaceFile
        switch NamespaceFile.of(path: netns) {
        case .success(let file) where file.type == .regular:
            target = file
        case .success(let file):
            guard command != .del else { return }
            throw CNIError(.unknownContainer, "container unknown or does not exist",
                           details: "netns \(netns) is \(file.type), not a network namespace")
        case .failure(let error) where error.code == ENOENT && command != .del:
            throw CNIError(.unknownContainer, "container unknown or does not exist",
                           details: "netns \(netns) does not exist")
        case .failure:
            return
        }
        guard !allowOwnNamespace else { return }
        guard case .success(let own) = NamespaceFile.of(path: "/proc/self/ns/net") else {
            throw CNIError(.invalidNetNS, "cannot identify the plugin's own network namespace",
                           details: "stat /proc/self/ns/net failed; set CNI_NETNS_OVERRIDE=1 to skip this check")
        }
        if own.identity == target.identity {
            throw CNIError(.invalidNetNS, "plugin's netns and netns from CNI_NETNS should not be the same",
                           details: "CNI_NETNS \(netns) is the plugin's own network namespace")
        }
    }
}

/// What `stat` says of a namespace path: its type, and the identity the kernel gives a namespace
/// file (nsfs device and inode).
private struct NamespaceFile {
    struct Identity: Equatable {
        let device: UInt64
        let inode: UInt64
    }

    let type: FileType
    let identity: Identity

    static func of(path: String) -> Result<NamespaceFile, Errno> {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(Errno(errno)) }
        return .success(NamespaceFile(type: FileType(mode: info.st_mode),
                                      identity: Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))))
    }
}
