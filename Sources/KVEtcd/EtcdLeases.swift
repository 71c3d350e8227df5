import JSON
import KV

/// Leases on etcd, through the gateway's lease endpoints. etcd expires them itself, deleting their
/// keys in one revision, and grants at least its minimum TTL.
extension EtcdStore {
    public func grantLease(ttl: Duration) throws -> LeaseID {
        let answer = try call("/v3/lease/grant", .object(["TTL": EtcdWire.string(ttl.leaseSeconds)]))
        let lease = EtcdWire.int(answer["ID"])
        guard lease != 0 else {
            throw EtcdError.protocolViolation("a lease was granted without an ID: \(answer["error"] ?? answer)").kvError
        }
        return LeaseID(rawValue: lease)
    }

    /// One message on the gateway's keep-alive stream, which ends when the request body does.
    public func keepAlive(_ lease: LeaseID) throws -> Duration? {
        let answer = try call("/v3/lease/keepalive", .object(["ID": EtcdWire.string(lease.rawValue)]))
        // etcd answers an ended lease with a TTL of 0 (left out, as defaults are).
        let ttl = EtcdWire.int(answer["result"]?["TTL"])
        return ttl > 0 ? .seconds(ttl) : nil
    }

    @discardableResult
    public func revoke(_ lease: LeaseID) throws -> Bool {
        do {
            _ = try call("/v3/kv/lease/revoke", leasing: [lease], .object(["ID": EtcdWire.string(lease.rawValue)]))
            return true
        } catch KVError.leaseNotFound {
            return false
        }
    }

    public func timeToLive(_ lease: LeaseID) throws -> Duration? {
        let answer = try call("/v3/kv/lease/timetolive", .object(["ID": EtcdWire.string(lease.rawValue)]))
        // -1 for an ended lease; 0 for one with under a second left (etcd truncates).
        let ttl = EtcdWire.int(answer["TTL"])
        return ttl >= 0 ? .seconds(ttl) : nil
    }

    @discardableResult
    public func put(_ key: String, _ value: [UInt8], lease: LeaseID) throws -> Int64 {
        try checked(key)
        return EtcdWire.revision(try call("/v3/kv/put", leasing: [lease], .object([
            "key": wire.key(key), "value": .string(Base64.encode(value)), "lease": EtcdWire.string(lease.rawValue),
        ])))
    }

    /// `call`, reporting etcd's "requested lease not found" for a request that names `leases` as
    /// `KVError.leaseNotFound` (of the first, when there are several: etcd does not say which).
    func call(_ path: String, leasing leases: [LeaseID], _ body: JSONValue) throws -> JSONValue {
        do {
            return try client.call(path, body)
        } catch .server(_, let code, let message) where code == Self.notFound && message.hasSuffix("lease not found")
                    && !leases.isEmpty {
            throw KVError.leaseNotFound(leases[0])
        } catch {
            throw error.kvError
        }
    }

    /// gRPC's NotFound.
    private static let notFound = 5
}

extension Transaction {
    /// The leases the transaction's puts attach keys to.
    var leases: [LeaseID] {
        (success + failure).compactMap { if case .leasedPut(_, _, let lease) = $0 { lease } else { nil } }
    }
}
