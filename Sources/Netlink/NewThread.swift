#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` on a fresh thread and waits for it. For work that changes per-thread state for good, such
/// as `unshare(CLONE_NEWNET)`, so that no thread the caller (or Swift's runtime) owns is affected.
func runOnNewThread<T>(_ body: @escaping () throws -> T) throws -> T {
    var outcome: Result<T, any Error>?
    let work = ThreadWork { outcome = Result(catching: body) }
    var thread = pthread_t()
    let context = Unmanaged.passRetained(work).toOpaque()
    let started = pthread_create(&thread, nil, { context in
        Unmanaged<ThreadWork>.fromOpaque(context!).takeRetainedValue().run()
        return nil
    }, context)
    guard started == 0 else {
        Unmanaged<ThreadWork>.fromOpaque(context).release()
        throw NetlinkError.system("start a thread", errno: started)
    }
    pthread_join(thread, nil)
    // pthread_join orders the thread's write of `outcome` before this read.
    return try outcome!.get()
}

private final class ThreadWork {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
