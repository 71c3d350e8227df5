/// Encodes `Encodable` values into a `JSONValue`, with the standard library's Codable alone.
///
/// Asking the same encoder for a keyed container twice gives the same object, so a type can add
/// members to what another type's `encode(to:)` wrote (CNI results add `cniVersion` that way).
struct JSONValueEncoder: Encoder {
    let slot: PartialValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(slot: PartialValue, codingPath: [any CodingKey] = []) {
        self.slot = slot
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        slot.makeObject()
        return KeyedEncodingContainer(KeyedContainer(slot: slot, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        slot.makeArray()
        return UnkeyedContainer(slot: slot, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValueContainer(encoder: self) }

    /// A value under construction. Containers hand out nested containers before anything is written
    /// into them, so each level is a reference, and the document is read out once `encode(to:)` has
    /// returned.
    final class PartialValue {
        private var value: JSONValue?
        private var members: [String: PartialValue]?
        private var elements: [PartialValue]?

        init(_ value: JSONValue? = nil) { self.value = value }

        /// Makes this an object, keeping the members already written if it is one.
        func makeObject() { if members == nil { (value, members, elements) = (nil, [:], nil) } }
        /// Makes this an array, keeping the elements already written if it is one.
        func makeArray() { if elements == nil { (value, members, elements) = (nil, nil, []) } }
        func set(_ value: JSONValue) { (self.value, members, elements) = (value, nil, nil) }

        func setMember(_ name: String, _ slot: PartialValue) { members![name] = slot }
        func append(_ slot: PartialValue) { elements!.append(slot) }
        var elementCount: Int { elements?.count ?? 0 }

        /// What was written; a type that wrote nothing encodes as `{}`.
        var document: JSONValue {
            if let members { return .object(members.mapValues(\.document)) }
            if let elements { return .array(elements.map(\.document)) }
            return value ?? .object([:])
        }
    }
}

extension JSONValueEncoder {
    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let slot: PartialValue
        let codingPath: [any CodingKey]

        func encodeNil(forKey key: Key) { slot.setMember(key.stringValue, PartialValue(.null)) }
        func encode(_ value: Bool, forKey key: Key) { put(.bool(value), key) }
        func encode(_ value: String, forKey key: Key) { put(.string(value), key) }
        func encode(_ value: Double, forKey key: Key) throws { put(try number(value, key), key) }
        func encode(_ value: Float, forKey key: Key) throws { put(try number(value, key), key) }
        func encode(_ value: Int, forKey key: Key) { put(.number(String(value)), key) }
        func encode(_ value: Int8, forKey key: Key) { put(.number(String(value)), key) }
        func encode(_ value: Int16, forKey key: Key) { put(.number(String(value)), key) }
        func encode(_ value: Int32, forKey key: Key) { put(.number(String(value)), key) }
        func encode(_ value: Int64, forKey key: Key) { put(.number(String(value)), key) }
        func encode(_ value: UInt, forKey key: Key) { put(.number(String(value)), key) }
        func encode(_ value: UInt8, forKey key: Key) { put(.number(String(value)), key) }
        func encode(_ value: UInt16, forKey key: Key) { put(.number(String(value)), key) }
        func encode(_ value: UInt32, forKey key: Key) { put(.number(String(value)), key) }
        func encode(_ value: UInt64, forKey key: Key) { put(.number(String(value)), key) }
        func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try value.encode(to: encoder(for: key)) }

        func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                   forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            encoder(for: key).container(keyedBy: keyType)
        }

        func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            encoder(for: key).unkeyedContainer()
        }

        func superEncoder() -> any Encoder { encoder(for: SuperKey()) }
        func superEncoder(forKey key: Key) -> any Encoder { encoder(for: key) }

        private func put(_ value: JSONValue, _ key: Key) { slot.setMember(key.stringValue, PartialValue(value)) }

        private func number(_ value: some BinaryFloatingPoint & CustomStringConvertible, _ key: Key) throws -> JSONValue {
            try JSONValueEncoder.number(value, codingPath: codingPath.appending(key))
        }

        /// A new member's encoder; the member exists from now on, even if nothing is written into it.
        private func encoder(for key: some CodingKey) -> JSONValueEncoder {
            let member = PartialValue()
            slot.setMember(key.stringValue, member)
            return JSONValueEncoder(slot: member, codingPath: codingPath.appending(key))
        }
    }

    struct UnkeyedContainer: UnkeyedEncodingContainer, ValueSequenceEncoding {
        let slot: PartialValue
        let codingPath: [any CodingKey]

        var count: Int { slot.elementCount }

        func nextEncoder() -> JSONValueEncoder {
            let element = PartialValue()
            let key = IndexKey(count)
            slot.append(element)
            return JSONValueEncoder(slot: element, codingPath: codingPath.appending(key))
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            nextEncoder().container(keyedBy: keyType)
        }

        func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { nextEncoder().unkeyedContainer() }

        func superEncoder() -> any Encoder { nextEncoder() }
    }

    struct SingleValueContainer: SingleValueEncodingContainer, ValueSequenceEncoding {
        let encoder: JSONValueEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }

        func nextEncoder() -> JSONValueEncoder { encoder }
    }

    /// Finite numbers only: JSON has no NaN or infinity.
    static func number(_ value: some BinaryFloatingPoint & CustomStringConvertible,
                       codingPath: [any CodingKey]) throws -> JSONValue {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) is not a JSON number"))
        }
        return .number(value.description)
    }
}

/// The typed `encode` overloads that unkeyed and single-value containers share: each writes into
/// the slot `nextEncoder()` hands out (a new element, or the one value).
protocol ValueSequenceEncoding {
    func nextEncoder() -> JSONValueEncoder
}

extension ValueSequenceEncoding {
    func encodeNil() { put(.null) }
    func encode(_ value: Bool) { put(.bool(value)) }
    func encode(_ value: String) { put(.string(value)) }
    func encode(_ value: Double) throws { try putNumber(value) }
    func encode(_ value: Float) throws { try putNumber(value) }
    func encode(_ value: Int) { put(.number(String(value))) }
    func encode(_ value: Int8) { put(.number(String(value))) }
    func encode(_ value: Int16) { put(.number(String(value))) }
    func encode(_ value: Int32) { put(.number(String(value))) }
    func encode(_ value: Int64) { put(.number(String(value))) }
    func encode(_ value: UInt) { put(.number(String(value))) }
    func encode(_ value: UInt8) { put(.number(String(value))) }
    func encode(_ value: UInt16) { put(.number(String(value))) }
    func encode(_ value: UInt32) { put(.number(String(value))) }
    func encode(_ value: UInt64) { put(.number(String(value))) }
    func encode<T: Encodable>(_ value: T) throws { try value.encode(to: nextEncoder()) }

    private func put(_ value: JSONValue) { nextEncoder().slot.set(value) }

    private func putNumber(_ value: some BinaryFloatingPoint & CustomStringConvertible) throws {
        let encoder = nextEncoder()
        encoder.slot.set(try JSONValueEncoder.number(value, codingPath: encoder.codingPath))
    }
}
