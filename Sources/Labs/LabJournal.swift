/// A lab's state file kept write-ahead while `up` runs: an object is recorded as intended, and the file
/// saved, before the object is made, and marked made once it is. Whenever the process dies, the file names
/// every object that may exist, so `down` (or the next `up`) can remove them, checking each one's tag.
///
/// Saving is a write and a rename, with no fsync: a killed process loses nothing it wrote, and the state
/// directory is under /run, which a reboot empties together with the kernel objects it records.
final class LabJournal {
    private(set) var state: LabState
    private let store: LabStateStore
    /// How many objects were recorded before this run: a rollback removes the rest.
    private let before: Int

    init(_ state: LabState, store: LabStateStore) {
        self.state = state
        self.store = store
        before = state.objects.count
    }

    /// The objects recorded by this run, oldest first.
    var thisRun: [LabObject] { Array(state.objects[before...]) }

    func contains(_ object: LabObject) -> Bool {
        state.objects.contains { $0.isSame(as: object) }
    }

    /// Records `object` as about to be made; call before making it.
    func intend(_ object: LabObject) throws {
        var object = object
        object.intended = true
        state.objects.append(object)
        try store.save(state)
    }

    /// Marks the object `intend` recorded as made.
    func made(_ object: LabObject) throws {
        guard let index = state.objects.lastIndex(where: { $0.isSame(as: object) && $0.isIntended }) else { return }
        state.objects[index].intended = nil
        try store.save(state)
    }

    /// Drops the record `intend` made of an object that turned out not to need making.
    func abandon(_ object: LabObject) throws {
        guard let index = state.objects.lastIndex(where: { $0.isSame(as: object) && $0.isIntended }) else { return }
        state.objects.remove(at: index)
        try store.save(state)
    }

    /// Records an object found made and tagged but not recorded (its state file was lost).
    func adopt(_ object: LabObject) throws {
        state.objects.append(object)
        try store.save(state)
    }

    /// Replaces this run's objects with `remaining` (those a rollback could not remove).
    func rollBack(leaving remaining: [LabObject]) throws {
        state.objects = Array(state.objects[..<before]) + remaining
        try store.save(state)
    }
}
