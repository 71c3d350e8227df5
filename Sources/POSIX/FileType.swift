import Glibc

/// What kind of file a path names, from the `st_mode` of a `stat`.
public enum FileType: Sendable, Equatable, CustomStringConvertible {
    case regular
    case directory
    case characterDevice
    case blockDevice
    case fifo
    case socket
    case symbolicLink
    case unknown

    /// The type bits of a `stat`'s `st_mode`.
    public init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFIFO: self = .fifo
        case S_IFSOCK: self = .socket
        case S_IFLNK: self = .symbolicLink
        default: self = .unknown
        }
    }

    /// "a directory", "a FIFO": for messages that say what a path is instead of what was expected.
    public var description: String {
        switch self {
        case .regular: "a regular file"
        case .directory: "a directory"
        case .characterDevice: "a character device"
        case .blockDevice: "a block device"
        case .fifo: "a FIFO"
        case .socket: "a socket"
        case .symbolicLink: "a symbolic link"
        case .unknown: "a file of unknown type"
        }
    }
}
