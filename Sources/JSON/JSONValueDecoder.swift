/// Decodes `Decodable` types from a parsed `JSONValue`, with the standard library's Codable alone.
///
/// Errors are the standard `DecodingError`s with the key path, as callers expect from any decoder:
/// a missing key is `keyNotFound`, null where a value is needed `valueNotFound`, the wrong JSON type
/// `typeMismatch`, a number that does not fit its type `dataCorrupted`.
struct JSONValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(value: JSONValue, codingPath: [any CodingKey] = []) {
        self.value = value
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch([String: Any].self, expected: "an object") }
        return KeyedDecodingContainer(KeyedContainer(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch([Any].self, expected: "an array") }
        return UnkeyedContainer(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleValueContainer(decoder: self) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: self) }

    func decodeBool() throws -> Bool {
        guard case .bool(let flag) = value else { throw mismatch(Bool.self, expected: "a boolean") }
        return flag
    }

    func decodeString() throws -> String {
        guard case .string(let text) = value else { throw mismatch(String.self, expected: "a string") }
        return text
    }

    /// Integers are read exactly from the number's text; `1.0` and `1e3` count as integers too.
    func decodeInteger<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard case .number(let text) = value else { throw mismatch(T.self, expected: "a number") }
        if let integer = T(text) ?? Double(text).flatMap({ T(exactly: $0) }) { return integer }
        throw DecodingError.dataCorrupted(.init(codingPath: codingPath,
                                                debugDescription: "number \(text) does not fit in \(T.self)"))
    }

    func decodeFloatingPoint<T: BinaryFloatingPoint & LosslessStringConvertible>(_ type: T.Type) throws -> T {
        guard case .number(let text) = value else { throw mismatch(T.self, expected: "a number") }
        guard let number = T(text), number.isFinite else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath,
                                                    debugDescription: "number \(text) does not fit in \(T.self)"))
        }
        return number
    }


    private func mismatch(_ type: Any.Type, expected: String) -> DecodingError {
        let context = DecodingError.Context(codingPath: codingPath, debugDescription: "expected \(expected), found \(value.kind)")
        return value == .null ? .valueNotFound(type, context) : .typeMismatch(type, context)
    }
}

extension JSONValueDecoder {
    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let members: [String: JSONValue]
        let codingPath: [any CodingKey]

        var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

        func decodeNil(forKey key: Key) throws -> Bool { try decoder(for: key).value == .null }

        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decoder(for: key).decodeBool() }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try decoder(for: key).decodeString() }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decoder(for: key).decodeFloatingPoint(type) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decoder(for: key).decodeFloatingPoint(type) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decoder(for: key).decodeInteger(type) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decoder(for: key).decodeInteger(type) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decoder(for: key).decodeInteger(type) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decoder(for: key).decodeInteger(type) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decoder(for: key).decodeInteger(type) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decoder(for: key).decodeInteger(type) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decoder(for: key).decodeInteger(type) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decoder(for: key).decodeInteger(type) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decoder(for: key).decodeInteger(type) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decoder(for: key).decodeInteger(type) }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decoder(for: key).decode(type) }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type,
                                                   forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try decoder(for: key).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try decoder(for: key).unkeyedContainer()
        }

        func superDecoder() -> any Decoder { superDecoder(for: SuperKey()) }
        func superDecoder(forKey key: Key) -> any Decoder { superDecoder(for: key) }

        private func superDecoder(for key: some CodingKey) -> any Decoder {
            JSONValueDecoder(value: members[key.stringValue] ?? .null, codingPath: codingPath.appending(key))
        }

        private func decoder(for key: Key) throws -> JSONValueDecoder {
            guard let value = members[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath,
                                                           debugDescription: "no value for key \"\(key.stringValue)\""))
            }
            return JSONValueDecoder(value: value, codingPath: codingPath.appending(key))
        }
    }

    final class UnkeyedContainer: UnkeyedDecodingContainer, ValueSequenceDecoding {
        let elements: [JSONValue]
        let codingPath: [any CodingKey]
        private(set) var currentIndex = 0

        init(elements: [JSONValue], codingPath: [any CodingKey]) {
            self.elements = elements
            self.codingPath = codingPath
        }

        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        func decodeNil() throws -> Bool {
            guard try peek() == .null else { return false }
            currentIndex += 1
            return true
        }

        func nextDecoder() throws -> JSONValueDecoder {
            let value = try peek()
            defer { currentIndex += 1 }
            return JSONValueDecoder(value: value, codingPath: codingPath.appending(IndexKey(currentIndex)))
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try nextDecoder().container(keyedBy: type)
        }

        func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try nextDecoder().unkeyedContainer() }

        func superDecoder() throws -> any Decoder { try nextDecoder() }

        private func peek() throws -> JSONValue {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath.appending(IndexKey(currentIndex)),
                                                                  debugDescription: "the array has only \(elements.count) elements"))
            }
            return elements[currentIndex]
        }
    }

    struct SingleValueContainer: SingleValueDecodingContainer, ValueSequenceDecoding {
        let decoder: JSONValueDecoder
        var codingPath: [any CodingKey] { decoder.codingPath }

        func decodeNil() -> Bool { decoder.value == .null }
        func nextDecoder() -> JSONValueDecoder { decoder }
    }
}

/// The typed `decode` overloads that unkeyed and single-value containers share: each decodes the
/// value `nextDecoder()` hands out (the next element, or the one value).
protocol ValueSequenceDecoding {
    func nextDecoder() throws -> JSONValueDecoder
}

extension ValueSequenceDecoding {
    func decode(_ type: Bool.Type) throws -> Bool { try nextDecoder().decodeBool() }
    func decode(_ type: String.Type) throws -> String { try nextDecoder().decodeString() }
    func decode(_ type: Double.Type) throws -> Double { try nextDecoder().decodeFloatingPoint(type) }
    func decode(_ type: Float.Type) throws -> Float { try nextDecoder().decodeFloatingPoint(type) }
    func decode(_ type: Int.Type) throws -> Int { try nextDecoder().decodeInteger(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try nextDecoder().decodeInteger(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try nextDecoder().decodeInteger(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try nextDecoder().decodeInteger(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try nextDecoder().decodeInteger(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try nextDecoder().decodeInteger(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try nextDecoder().decodeInteger(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try nextDecoder().decodeInteger(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try nextDecoder().decodeInteger(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try nextDecoder().decodeInteger(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try nextDecoder().decode(type) }
}
