import Glibc

/// `posix_spawn` as every spawn of ours makes it: `argv[0]` is the path, the child starts with no
/// blocked signals whatever we had, and the given signals at their default actions.
enum Spawn {
    /// glibc's `POSIX_SPAWN_SETSID` (2.26 and later), hidden behind _GNU_SOURCE from Swift.
    private static let setSID: Int32 = 0x80

    /// Starts `path`; `actions` say what the child's descriptors are. `defaultSignals` `nil` resets
    /// every signal; `newSession` puts the child in a session of its own.
    static func start(_ path: String, arguments: [String] = [], environment: [String: String],
                      actions: inout posix_spawn_file_actions_t, defaultSignals: [Int32]?,
                      newSession: Bool = false) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var reset = sigset_t()
        if let defaultSignals {
            sigemptyset(&reset)
            for signal in defaultSignals { sigaddset(&reset, signal) }
        } else {
            sigfillset(&reset)
        }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &reset)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (newSession ? setSID : 0)))

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
