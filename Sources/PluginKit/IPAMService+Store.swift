import CNI
import IPAM
import Identity
import Stores

extension IPAMService {
    /// The service a request's `ipam` section describes, on the store the same section names.
    init(networkConfig stdin: [UInt8], network: NetworkName) throws {
        let (config, store) = try IPAMConfig.decode(networkConfig: stdin, with: StoreConfiguration.self)
        self.init(config: config, network: network, store: try openStore(store))
    }

    init<C>(for request: AttachmentRequest<C>) throws {
        try self.init(networkConfig: request.stdin, network: request.network.name)
    }

    init<C>(for request: NetworkRequest<C>) throws {
        try self.init(networkConfig: request.stdin, network: request.network.name)
    }
}
