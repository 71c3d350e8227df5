import Glibc

/// A body run on a POSIX thread of its own, started at once; `wait` joins it and returns its outcome.
///
/// For work that overlaps the caller's (a store's round trip beside kernel work), or that changes
/// per-thread state for good (`unshare(CLONE_NEWNET)`), so that no thread the caller or Swift's
/// runtime owns is affected. The thread starts with the creating thread's namespaces at that moment.
public final class ThreadTask<T> {
    private var thread = pthread_t()
    /// Written by the thread, read after the join.
    private let outcome = Outcome()
    private var joined = false

    /// Starts `body` on a new thread.
    ///
    /// - Throws: `Errno` when the system cannot start a thread.
    public init(_ body: @escaping () throws -> T) throws(Errno) {
        let outcome = self.outcome
        let work = ThreadWork { outcome.value = Result(catching: body) }
        let context = Unmanaged.passRetained(work).toOpaque()
        let started = pthread_create(&thread, nil, { context in
            Unmanaged<ThreadWork>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        guard started == 0 else {
            Unmanaged<ThreadWork>.fromOpaque(context).release()
            joined = true  // No thread to join.
            throw Errno(started)
        }
    }

    /// Waits for the body to end and returns what it returned, or throws what it threw; every
    /// later call gives the same outcome at once.
    public func wait() throws -> T {
        join()
        // pthread_join orders the thread's write of `outcome` before this read.
        return try outcome.value!.get()
    }

    /// A task is never left running past its owner.
    deinit { join() }

    private func join() {
        guard !joined else { return }
        pthread_join(thread, nil)
        joined = true
    }

    private final class Outcome {
        var value: Result<T, any Error>?
    }
}

private final class ThreadWork {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
