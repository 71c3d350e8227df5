import Addressing

/// One element of one of our sets: the unit the kernel adds, finds and removes.
struct SetElement: Hashable, Sendable {
    let set: TableSet
    let key: [UInt8]
    /// The closing key of a range (sets with `interval`), inclusive.
    let keyEnd: [UInt8]?
    /// A map's value.
    let value: [UInt8]?
    /// What the element means, for error messages ("tcp port 8080 on every local address").
    let summary: String

    init(_ set: TableSet, key: [Field], keyEnd: [Field]? = nil, value: [Field]? = nil, summary: String) {
        self.set = set
        self.key = Field.concatenate(key)
        self.keyEnd = keyEnd.map(Field.concatenate)
        self.value = value.map(Field.concatenate)
        self.summary = summary
    }

    init(_ set: TableSet, rawKey: [UInt8], summary: String) {
        self.set = set
        key = rawKey
        keyEnd = nil
        value = nil
        self.summary = summary
    }
}

/// A typed value of one key or value field, laid out as the kernel compares it.
struct Field {
    let type: FieldType
    let bytes: [UInt8]

    static func address(_ address: IPAddress) -> Field {
        Field(type: address.family == .ipv4 ? .ipv4 : .ipv6, bytes: address.bytes)
    }

    static func transport(_ proto: TransportProtocol) -> Field {
        Field(type: .inetProtocol, bytes: [proto.number])
    }

    static func port(_ port: UInt16) -> Field {
        Field(type: .inetService, bytes: [UInt8(port >> 8), UInt8(port & 0xff)])
    }

    static func interface(_ name: InterfaceName) -> Field {
        let bytes = Array(name.rawValue.utf8)
        return Field(type: .interfaceName, bytes: bytes + [UInt8](repeating: 0, count: 16 - bytes.count))
    }

    static func mac(_ mac: MACAddress) -> Field {
        Field(type: .etherAddress, bytes: mac.bytes)
    }

    /// A lone field as it is; a concatenation with every field padded to whole registers.
    static func concatenate(_ fields: [Field]) -> [UInt8] {
        guard fields.count > 1 else { return fields.first?.bytes ?? [] }
        return fields.flatMap { $0.bytes + [UInt8](repeating: 0, count: $0.type.registerLength - $0.bytes.count) }
    }
}
