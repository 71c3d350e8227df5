/// Why `RegularFile.contents(atPath:limit:)` gave no contents; the description names the path.
public struct FileReadError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Problem: Equatable, Sendable {
        /// `stat`, `open` or `read` failed.
        case system(Errno)
        /// The path names something other than a regular file.
        case notRegularFile(FileType)
        /// The file holds more than the caller accepts.
        case tooLarge(limit: Int)
    }

    public let path: String
    public let problem: Problem

    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    public var description: String {
        switch problem {
        case .system(let error): "\(path): \(error)"
        case .notRegularFile(let type): "\(path) is \(type), not a regular file"
        case .tooLarge(let limit): "\(path) is larger than the \(limit) bytes accepted"
        }
    }
}
