import Glibc

/// Starts a long-running program that outlives its parent: a session of its own (so no signal to
/// the parent's process group or terminal reaches it), stdio on /dev/null and no other inherited
/// descriptor (so a runtime reading our stdout is not kept waiting on it). It is never waited
/// for: once the parent exits, init reaps it.
public enum DetachedProcess {
    /// glibc's `POSIX_SPAWN_SETSID` (2.26 and later), also behind _GNU_SOURCE.
    private static let spawnSetSID: Int32 = 0x80
    /// Descriptors checked for inheritance: a plugin opens a handful.
    private static let inheritedDescriptorLimit: Int32 = 256

    /// Spawns `path` with `arguments` (argv[0] is `path`) and returns its process ID.
    public static func spawn(_ path: String, arguments: [String], environment: [String: String] = [:]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
        }
        // posix_spawn_file_actions_addclosefrom_np is hidden behind _GNU_SOURCE, out of Swift's reach:
        // close what would be inherited, the few descriptors a plugin holds without FD_CLOEXEC.
        for descriptor in 3..<inheritedDescriptorLimit {
            let flags = fcntl(descriptor, F_GETFD)
            if flags >= 0, flags & FD_CLOEXEC == 0 { posix_spawn_file_actions_addclose(&actions, descriptor) }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaultSignals = sigset_t()
        sigfillset(&defaultSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(spawnSetSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard status == 0 else { throw Errno(status) }
        return pid
    }
}
