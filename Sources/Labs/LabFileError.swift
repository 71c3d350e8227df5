/// What is wrong with a topology file, naming the file and the field so the reader can go straight to it.
public struct LabFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public let file: String
    /// `veths[0].a.namespace`; `nil` when the problem is the file as a whole (unreadable, bad syntax).
    public let field: String?
    public let problem: String

    public init(file: String, field: String?, problem: String) {
        self.file = file
        self.field = field
        self.problem = problem
    }

    public var description: String {
        "\(file): " + (field.map { "\($0): " } ?? "") + problem
    }
}
