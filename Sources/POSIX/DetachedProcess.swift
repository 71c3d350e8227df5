import Glibc

/// Starts a long-running program that outlives its parent: a session of its own (so no signal to
/// the parent's process group or terminal reaches it), stdio on /dev/null and no other inherited
/// descriptor (so a runtime reading our stdout is not kept waiting on it). It is never waited
/// for: once the parent exits, init (or a subreaper) reaps it.
public enum DetachedProcess {
    /// Descriptors checked for inheritance: a plugin opens a handful.
    private static let inheritedDescriptorLimit: Int32 = 256

    /// The first executable called `name` in the directories `searchPath` (CNI_PATH's), or `nil`.
    public static func executable(named name: String, in searchPath: [String]) -> String? {
        searchPath.lazy.map { $0.hasSuffix("/") ? $0 + name : $0 + "/" + name }.first { access($0, X_OK) == 0 }
    }

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
        return try Spawn.start(path, arguments: arguments, environment: environment, actions: &actions,
                               defaultSignals: nil, newSession: true)
    }
}
