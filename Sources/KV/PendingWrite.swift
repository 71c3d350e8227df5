/// A write sent to a store whose answer is still to come (`KeyValueStore.sendPut`).
public final class PendingWrite {
    private let answer: () throws -> Int64
    private var outcome: Result<Int64, any Error>?

    /// - Parameter answer: waits for the store's answer and returns the new revision; called once.
    public init(answer: @escaping () throws -> Int64) {
        self.answer = answer
    }

    /// Waits for the store's answer: the new store revision, or the write's error. Every later
    /// call returns the same at once.
    @discardableResult
    public func wait() throws -> Int64 {
        if outcome == nil { outcome = Result(catching: answer) }
        return try outcome!.get()
    }
}
