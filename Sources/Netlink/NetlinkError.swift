import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// What went wrong talking to the kernel, in terms a caller can act on.
///
/// The `String` payloads name the operation and its object ("create bridge cni0"), so the description alone
/// says what failed. Callers that tolerate a case match it without its payload:
/// `catch NetlinkError.exists { ... }`.
public enum NetlinkError: Error, Equatable, CustomStringConvertible {
    /// The object to create is there already (`EEXIST`): another process may have won a race to create it.
    case exists(String)
    /// The object does not exist (`ENODEV`, `ENOENT`, `ESRCH`, `EADDRNOTAVAIL`).
    case notFound(String)
    /// Nothing exists at the path given for a network namespace.
    case namespaceNotFound(path: String)
    /// The path exists but is not a network namespace (a stale `/run/netns` entry, a wrong `/proc` link).
    case notANetworkNamespace(path: String)
    /// The kernel refused for lack of privilege (`EPERM`, `EACCES`): CAP_NET_ADMIN / CAP_SYS_ADMIN needed.
    case permission(String)
    /// A fixed kernel limit was reached (`EXFULL`): a Linux bridge, for one, holds at most 1024 ports.
    case full(String)
    /// An argument was rejected before reaching the kernel.
    case invalidArgument(String)
    /// The kernel refused with `errno`; `message` is its extended-ack explanation, empty if it gave none.
    case kernel(operation: String, errno: Int32, message: String)
    /// libnl failed on its own side (out of memory, socket trouble) with a negative `NLE_*` code.
    case library(operation: String, code: Int32, message: String)
    /// A system call outside netlink (open, setns, mount, ...) failed.
    case system(operation: String, errno: Int32)

    public var description: String {
        switch self {
        case .exists(let what):
            "\(what): already exists"
        case .notFound(let what):
            "\(what): not found"
        case .namespaceNotFound(let path):
            "network namespace \(path) does not exist"
        case .notANetworkNamespace(let path):
            "\(path) is not a network namespace"
        case .permission(let what):
            "\(what): permission denied" + (Self.mayLackNetAdmin ? " (needs CAP_NET_ADMIN, usually root)" : "")
        case .full(let what):
            "\(what): a kernel limit is reached (a Linux bridge holds at most 1024 ports)"
        case .invalidArgument(let problem):
            problem
        case .kernel(let operation, let code, let message):
            "\(operation): \(errorText(code))" + (message.isEmpty ? "" : " (\(message))")
        case .library(let operation, _, let message):
            "\(operation): \(message)"
        case .system(let operation, let code):
            "\(operation): \(errorText(code))"
        }
    }

    /// Whether the hint about CAP_NET_ADMIN can help: not when the process has it (root, as a rule),
    /// whose refusals have other causes. Asked once, and only when a message needs it.
    private static let mayLackNetAdmin = cnl_has_effective_net_admin() != 1

    /// Classifies a system call's failure.
    static func system(_ operation: String, errno code: Int32) -> NetlinkError {
        switch code {
        case EPERM, EACCES: .permission(operation)
        default: .system(operation: operation, errno: code)
        }
    }

    /// Classifies a failed libnl call from its negative `NLE_*` result and the errno the kernel sent, if any
    /// (libnl folds several errnos into one `NLE_*` code, so the kernel's own is preferred).
    init(operation: String, libnlCode: Int32, kernelErrno: Int32, kernelMessage: String) {
        if kernelErrno != 0 {
            switch kernelErrno {
            case EEXIST: self = .exists(operation)
            case ENODEV, ENOENT, ESRCH, EADDRNOTAVAIL: self = .notFound(operation)
            case EPERM, EACCES: self = .permission(operation)
            case EXFULL: self = .full(operation)
            default: self = .kernel(operation: operation, errno: kernelErrno, message: kernelMessage)
            }
            return
        }
        switch -libnlCode {
        case NLE_EXIST: self = .exists(operation)
        case NLE_OBJ_NOTFOUND, NLE_NODEV: self = .notFound(operation)
        case NLE_PERM, NLE_NOACCESS: self = .permission(operation)
        default:
            self = .library(operation: operation, code: -libnlCode,
                            message: String(cString: nl_geterror(libnlCode)))
        }
    }
}

private func errorText(_ code: Int32) -> String {
    String(cString: strerror(code))
}
