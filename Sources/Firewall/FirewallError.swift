/// Why a firewall operation failed. Nothing was changed when one of these is thrown: every change
/// is a single batch the kernel applies whole or not at all.
public enum FirewallError: Error, Equatable, CustomStringConvertible, Sendable {
    /// nf_tables cannot be reached (no netlink socket, module missing, no privileges).
    case unavailable(String)
    /// The kernel refused the batch; `errno` is its reason.
    case kernel(operation: String, errno: Int32, reason: String)
    /// Something another owner holds is in the way: a published port taken, an address already
    /// claimed. `holder` is that owner's text when it could be read.
    case conflict(what: String, holder: String?)
    /// An owner's entries do not fit in the record that lists them.
    case tooLarge(String)
    /// CHECK: what an owner's record lists is not (or no longer) in the kernel.
    case missing(owner: String, what: [String])
    /// An owner record in our table that this version cannot read.
    case corruptRecord(String)

    public var description: String {
        switch self {
        case .unavailable(let why):
            "nftables unavailable: \(why)"
        case let .kernel(operation, _, reason):
            "nftables refused to \(operation): \(reason)"
        case let .conflict(what, holder?):
            "\(what) is already taken by \(holder)"
        case let .conflict(what, nil):
            "\(what) is already taken"
        case .tooLarge(let why):
            "firewall record too large: \(why)"
        case let .missing(owner, what):
            "firewall state of \(owner) is missing: \(what.joined(separator: ", "))"
        case .corruptRecord(let why):
            "unreadable firewall record in table swift-cni: \(why)"
        }
    }
}
