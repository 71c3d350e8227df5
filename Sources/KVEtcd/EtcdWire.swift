import JSON
import KV

/// The JSON gateway's encoding of the store protocol: base64 keys and values, int64 as strings,
/// defaults omitted; keys carry the store's namespace prefix.
///
/// etcd counts revisions from 1 for an empty keyspace, the protocol from 0: a protocol revision r > 0
/// is etcd's r + 1, and 0 (a key that does not exist) stays 0. The map is strictly increasing, so a
/// comparison holds for etcd's numbers exactly when it holds for the protocol's.
struct EtcdWire {
    let namespace: [UInt8]

    static func etcdRevision(_ revision: Int64) -> Int64 { revision > 0 ? revision + 1 : revision }
    static func storeRevision(_ revision: Int64) -> Int64 { revision > 0 ? revision - 1 : revision }

    /// The cheapest request whose answer's header carries the store revision.
    var revisionRequest: JSONValue { .object(["key": key("\u{0}"), "count_only": .bool(true)]) }

    func key(_ key: String) -> JSONValue { .string(Base64.encode(namespace + Array(key.utf8))) }

    /// `key` and `range_end` selecting every key under `prefix`.
    func range(_ prefix: String) -> [String: JSONValue] {
        let start = namespace + Array(prefix.utf8)
        return ["key": .string(Base64.encode(start.isEmpty ? [0] : start)), "range_end": .string(Base64.encode(Self.end(of: start)))]
    }

    /// The first key after every key that starts with `prefix`; `[0]` (no end) when there is none.
    static func end(of prefix: [UInt8]) -> [UInt8] {
        var end = prefix
        while let last = end.last {
            if last < 0xFF {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]
    }

    func keyValue(_ json: JSONValue) throws(EtcdError) -> KeyValue {
        guard case .string(let encoded)? = json["key"], let full = Base64.decode(encoded),
              full.starts(with: namespace) else {
            throw .protocolViolation("a key outside the namespace or not base64")
        }
        var value: [UInt8] = []
        if case .string(let text)? = json["value"] {
            guard let decoded = Base64.decode(text) else { throw .protocolViolation("a value that is not base64") }
            value = decoded
        }
        return KeyValue(key: String(decoding: full.dropFirst(namespace.count), as: UTF8.self), value: value,
                        createRevision: Self.storeRevision(Self.int(json["create_revision"])),
                        modRevision: Self.storeRevision(Self.int(json["mod_revision"])),
                        version: Self.int(json["version"]))
    }

    func keyValues(_ json: JSONValue?) throws(EtcdError) -> [KeyValue] {
        guard case .array(let items)? = json else { return [] }
        var result: [KeyValue] = []
        for item in items { result.append(try keyValue(item)) }
        return result
    }

    /// The store revision in an answer's header.
    static func revision(_ answer: JSONValue) -> Int64 { storeRevision(int(answer["header"]?["revision"])) }

    /// An int64 as the gateway writes it (a string; absent for 0).
    static func int(_ json: JSONValue?) -> Int64 {
        switch json {
        case .string(let text)?, .number(let text)?: Int64(text) ?? 0
        default: 0
        }
    }

    static func string(_ value: Int64) -> JSONValue { .string(String(value)) }

    func compare(_ compare: Compare) -> JSONValue {
        func comparing(_ key: String, _ op: CompareOperator, target: String, _ field: String, _ value: JSONValue) -> JSONValue {
            .object(["key": self.key(key), "result": .string(Self.name(op)), "target": .string(target), field: value])
        }
        switch compare {
        case let .value(key, op, value): return comparing(key, op, target: "VALUE", "value", .string(Base64.encode(value)))
        case let .createRevision(key, op, revision):
            return comparing(key, op, target: "CREATE", "create_revision", Self.string(Self.etcdRevision(revision)))
        case let .modRevision(key, op, revision):
            return comparing(key, op, target: "MOD", "mod_revision", Self.string(Self.etcdRevision(revision)))
        case let .version(key, op, version): return comparing(key, op, target: "VERSION", "version", Self.string(version))
        case let .modRevisions(prefix, op, revision):
            var members = range(prefix)
            members["result"] = .string(Self.name(op))
            members["target"] = .string("MOD")
            members["mod_revision"] = Self.string(Self.etcdRevision(revision))
            return .object(members)
        }
    }

    func request(_ operation: Operation) -> JSONValue {
        switch operation {
        case let .put(key, value):
            .object(["request_put": .object(["key": self.key(key), "value": .string(Base64.encode(value))])])
        case let .leasedPut(key, value, lease):
            .object(["request_put": .object(["key": self.key(key), "value": .string(Base64.encode(value)),
                                             "lease": Self.string(lease.rawValue)])])
        case .delete(let key): .object(["request_delete_range": .object(["key": self.key(key)])])
        case .deletePrefix(let prefix): .object(["request_delete_range": .object(range(prefix))])
        case .get(let key): .object(["request_range": .object(["key": self.key(key)])])
        case .range(let prefix): .object(["request_range": .object(range(prefix))])
        }
    }

    func result(_ json: JSONValue, for operation: Operation) throws(EtcdError) -> OperationResult {
        switch operation {
        case .put, .leasedPut: return .put
        case .delete, .deletePrefix: return .delete(Int(Self.int(json["response_delete_range"]?["deleted"])))
        case .get, .range: return .range(try keyValues(json["response_range"]?["kvs"]))
        }
    }

    private static func name(_ op: CompareOperator) -> String {
        switch op {
        case .equal: "EQUAL"
        case .notEqual: "NOT_EQUAL"
        case .greater: "GREATER"
        case .less: "LESS"
        }
    }
}
