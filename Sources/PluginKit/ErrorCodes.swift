import CNI
import Firewall
import Glibc
import IPAM
import KV
import Netlink
import Stores

// The one place where the errors of the lower modules get their CNI codes. Those modules know
// nothing of CNI (or, for IPAM, should not decide how a runtime reacts); the runner finds these
// conformances through `CNICodedError`.

extension IPAMError: CNICodedError {
    public var cniError: CNIError {
        switch self {
        case .invalidConfig, .invalidRequest:
            CNIError(.invalidNetworkConfig, description)
        case .addressInUse, .exhausted:
            // Addresses come free again as containers go away: worth retrying, not a broken config.
            CNIError(.tryAgainLater, description)
        }
    }
}

extension KVError: CNICodedError {
    public var cniError: CNIError {
        switch self {
        case .corrupt: CNIError(.ioFailure, description)
        case .refused: CNIError(.invalidNetworkConfig, description)
        case .unavailable, .contention, .leaseNotFound: CNIError(.tryAgainLater, description)
        case .compacted, .invalidArgument: CNIError(.internal, description)
        }
    }
}

extension StoreConfigurationError: CNICodedError {
    public var cniError: CNIError { CNIError(.invalidNetworkConfig, description) }
}

extension NetlinkError: CNICodedError {
    public var cniError: CNIError {
        switch self {
        case .namespaceNotFound, .notANetworkNamespace:
            CNIError(.unknownContainer, "container unknown or does not exist: \(description)")
        case .full:
            // Room comes back as attachments go away, as with an exhausted address range.
            CNIError(.tryAgainLater, description)
        default:
            CNIError(.internal, description)
        }
    }
}

extension CheckFailure: CNICodedError {
    public var cniError: CNIError { CNIError(.internal, "CHECK failed: \(description)") }
}

extension FirewallError: CNICodedError {
    public var cniError: CNIError {
        switch self {
        case .conflict:
            // The request asks for what another container holds: a port already published.
            CNIError(.invalidNetworkConfig, description)
        case .tooLarge:
            CNIError(.invalidNetworkConfig, description)
        case .kernel(_, let errno, _) where errno == EBUSY || errno == EAGAIN:
            CNIError(.tryAgainLater, description)
        case .unavailable, .kernel, .corruptRecord:
            CNIError(.internal, description)
        case .missing:
            CNIError(.internal, "CHECK failed: \(description)")
        }
    }
}
