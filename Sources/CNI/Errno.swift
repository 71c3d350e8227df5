import Glibc

/// A failed system call's `errno`, as an `Error` whose description is `strerror`'s text.
struct Errno: Error, Equatable, CustomStringConvertible {
    let code: Int32

    init(_ code: Int32) { self.code = code }

    var description: String { String(cString: strerror(code)) }
}
