import Addressing
import CNI
import CNIClient
import IPAM
import Identity
import Stores

/// The IPAM half of a main plugin. `kv-ipam` runs in-process (no extra exec on the ADD path);
/// any other type (host-local, static, dhcp) is delegated through CNI_PATH as the spec describes.
public enum IPAMDriver {
    case inProcess
    case delegated(type: String)

    /// The `ipam.type` run in-process.
    static let inProcessType = "kv-ipam"

    /// A main plugin's `ipam` section: its keys are checked when it is run in-process; a delegated
    /// plugin's section is that plugin's business.
    public static let sectionKeys = ConfigKeys.Nested("ipam", .ofType(inProcessType, IPAMConfig.configKeys))

    /// The driver for a network's `ipam.type`, or `nil` when the network has no IPAM (`"ipam": {}`
    /// or no section): a layer-2 only attachment.
    public static func forNetwork(_ network: NetworkConfig) -> IPAMDriver? {
        switch network.ipamType {
        case nil, "": nil
        case inProcessType: .inProcess
        case let type?: .delegated(type: type)
        }
    }

    public func add<C>(_ request: AttachmentRequest<C>) throws -> CNIResult {
        try lease(request).result
    }

    /// `add`, and the store in-process IPAM leased in (`nil` when IPAM is delegated): a caller that
    /// writes to the same store beside the lease can use its connection.
    public func lease<C>(_ request: AttachmentRequest<C>) throws -> (result: CNIResult, store: OpenedStore?) {
        switch self {
        case .inProcess:
            let (service, store) = try IPAMService.opening(networkConfig: request.stdin, network: request.network.name)
            return (try service.add(request), store)
        case .delegated(let type):
            return (try Delegate.add(type: type, for: request), nil)
        }
    }

    /// Gives `holder`, another attachment of the request's network that the host shows still holds
    /// `addresses`, back the lease its store lost, taking them from the request's attachment (see
    /// `LeaseManager.restore`). `false` when nothing was restored, and always when IPAM is
    /// delegated: that plugin's leases are its own.
    public func restore<C>(_ holder: Attachment, holding addresses: [IPAddress],
                           for request: AttachmentRequest<C>) throws -> Bool {
        switch self {
        case .inProcess: try IPAMService(for: request).restore(holder, holding: addresses, displacing: request.attachment)
        case .delegated: false
        }
    }

    public func del<C>(_ request: AttachmentRequest<C>) throws {
        switch self {
        case .inProcess: try IPAMService(for: request).del(request.attachment)
        case .delegated(let type): try Delegate.del(type: type, for: request)
        }
    }

    public func check<C>(_ request: AttachmentRequest<C>) throws {
        switch self {
        case .inProcess:
            try IPAMService(for: request).check(request.attachment, prevResult: request.network.prevResult)
        case .delegated(let type):
            try Delegate.check(type: type, for: request)
        }
    }

    public func gc<C>(_ request: NetworkRequest<C>) throws {
        switch self {
        case .inProcess: try IPAMService(for: request).gc(keeping: request.validAttachments)
        case .delegated(let type): try Delegate.gc(type: type, for: request)
        }
    }

    public func status<C>(_ request: NetworkRequest<C>) throws {
        switch self {
        case .inProcess: try IPAMService(for: request).status()
        case .delegated(let type): try Delegate.status(type: type, for: request)
        }
    }
}
