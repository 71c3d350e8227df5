import Addressing
import CNI

/// Why an address could not be configured, allocated or released.
public enum IPAMError: Error, Equatable, Sendable {
    /// The `ipam` section is invalid; the text names the key and the problem.
    case invalidConfig(String)
    /// A requested address is malformed or fits no range of the network.
    case invalidRequest(String)
    /// A requested address belongs to another attachment.
    case addressInUse(IPAddress, owner: String)
    /// Every address of a range set is leased.
    case exhausted(rangeSet: String)
}

extension IPAMError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidConfig(let text), .invalidRequest(let text):
            text
        case let .addressInUse(address, owner):
            "requested address \(address) is in use by \(owner)"
        case .exhausted(let rangeSet):
            "no free addresses left in range set \(rangeSet)"
        }
    }
}
