/// Undo steps for a multi-step operation: if the body throws, the steps registered so far run in
/// reverse order, so an ADD that fails half way leaves nothing behind.
public struct Rollback {
    private var steps: [() -> Void] = []

    /// Registers `step` to run if the operation fails. Undo steps must not throw: they are best
    /// effort, and the original error is what the caller reports.
    public mutating func onFailure(_ step: @escaping () -> Void) {
        steps.append(step)
    }

    /// Runs `body`; if it throws, undoes what it registered and rethrows.
    public static func run<T>(_ body: (inout Rollback) throws -> T) rethrows -> T {
        var rollback = Rollback()
        do {
            return try body(&rollback)
        } catch {
            for step in rollback.steps.reversed() { step() }
            throw error
        }
    }
}
