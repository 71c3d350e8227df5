import CNetlink
#if canImport(Glibc)
import Glibc
#endif

extension NetworkNamespace {
    /// Where per-namespace replacements for files in /etc live, as `ip netns exec` reads them:
    /// `/etc/netns/<name>/resolv.conf` is seen as `/etc/resolv.conf` by programs run in `<name>`.
    public static let etcDirectory = "/etc/netns"

    /// Replaces this process with `command` running inside the named namespace, exactly as
    /// `ip netns exec <name> <command>` does: a private mount namespace, each file under
    /// `/etc/netns/<name>/` bound over its namesake in `/etc`, `/sys` remounted to show the namespace's
    /// links, then `execvp`. Returns only by throwing.
    ///
    /// The calling thread changes namespace for good, which is harmless only because `exec` follows:
    /// call it last, from the main thread.
    public static func execute(inNamed name: String, command: [String]) throws -> Never {
        guard let program = command.first else {
            throw NetlinkError.invalidArgument("no command to run in network namespace \(name)")
        }
        let namespace = try open(path: try namedPath(name))
        guard cnl_setns_net(namespace.descriptor) == 0 else {
            throw NetlinkError.system("enter network namespace \(name)", errno: errno)
        }
        guard cnl_unshare_mounts_privately() == 0 else {
            throw NetlinkError.system("make a private mount namespace for \(name)", errno: errno)
        }
        // As iproute2: a /sys that cannot be remounted (in a container, say) is no reason to fail.
        _ = cnl_remount_sysfs()
        try bindEtcFiles(of: name)

        var arguments: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        execvp(program, &arguments)
        let code = errno
        arguments.forEach { free($0) }
        throw NetlinkError.system("run \(program) in network namespace \(name)", errno: code)
    }

    private static func bindEtcFiles(of name: String) throws {
        let directory = "\(etcDirectory)/\(name)"
        guard let listing = opendir(directory) else { return }
        defer { closedir(listing) }
        while let entry = readdir(listing) {
            let file = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if file == "." || file == ".." { continue }
            let source = "\(directory)/\(file)", target = "/etc/\(file)"
            guard cnl_mount_bind(source, target, 0) == 0 else {
                throw NetlinkError.system("bind \(source) over \(target)", errno: errno)
            }
        }
    }
}
