import POSIX

/// Runs `body` on a fresh thread and waits for it. For work that changes per-thread state for good, such
/// as `unshare(CLONE_NEWNET)`, so that no thread the caller (or Swift's runtime) owns is affected.
func runOnNewThread<T>(_ body: @escaping () throws -> T) throws -> T {
    let task: ThreadTask<T>
    do {
        task = try ThreadTask(body)
    } catch {
        throw NetlinkError.system("start a thread", errno: error.code)
    }
    return try task.wait()
}
