import Glibc

/// A failed system call's `errno`, as an `Error` whose description is `strerror`'s text.
public struct Errno: Error, Equatable, Sendable, CustomStringConvertible {
    public let code: Int32

    public init(_ code: Int32) { self.code = code }

    public var description: String { String(cString: strerror(code)) }
}
