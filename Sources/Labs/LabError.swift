/// Why `lab up` or `lab down` stopped, with what to do next.
public enum LabError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Something with a lab object's name exists and was not made by this lab.
    case foreign(what: String, lab: LabName)
    /// A step failed; everything this run had made is removed again.
    case stepFailed(step: String, problem: String, rolledBack: Int)
    /// `down` could not remove some objects; they stay in the state file for the next `down`.
    case leftBehind([String])
    case state(path: String, problem: String)

    public var description: String {
        switch self {
        case let .foreign(what, lab):
            "\(what) exists and is not part of lab \(lab): remove it, or rename the lab's object in the topology file"
        case let .stepFailed(step, problem, rolledBack):
            "\(step): \(problem); rolled back (\(rolledBack) object\(rolledBack == 1 ? "" : "s") removed), nothing of this run is left"
        case .leftBehind(let objects):
            "could not remove \(objects.joined(separator: "; ")); they stay recorded, run `lab down` again once the cause is fixed"
        case let .state(path, problem):
            "lab state \(path): \(problem)"
        }
    }
}
