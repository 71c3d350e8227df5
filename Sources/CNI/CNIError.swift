import JSON

/// A CNI error code. The spec reserves 0-99 (the named constants below, plus libcni's 8 and 999);
/// 100 and up are plugin-specific, which is why this is an open set of values rather than an enum:
/// a delegate's code must survive being passed up, whatever it is.
public struct CNIErrorCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: Int

    public init?(rawValue: Int) { self.rawValue = rawValue }
    public init(_ rawValue: Int) { self.rawValue = rawValue }

    public static let unknown = CNIErrorCode(0)
    public static let incompatibleVersion = CNIErrorCode(1)
    public static let unsupportedField = CNIErrorCode(2)
    public static let unknownContainer = CNIErrorCode(3)
    public static let invalidEnvironment = CNIErrorCode(4)
    public static let ioFailure = CNIErrorCode(5)
    public static let decodingFailure = CNIErrorCode(6)
    public static let invalidNetworkConfig = CNIErrorCode(7)
    public static let invalidNetNS = CNIErrorCode(8)
    public static let tryAgainLater = CNIErrorCode(11)
    public static let notAvailable = CNIErrorCode(50)
    public static let limitedConnectivity = CNIErrorCode(51)
    public static let `internal` = CNIErrorCode(999)

    public init(from decoder: Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int.self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { String(rawValue) }
}

/// The error a plugin prints on stdout: `{cniVersion, code, msg, details}`.
public struct CNIError: Error, Equatable, Sendable {
    public let code: CNIErrorCode
    public let msg: String
    public let details: String?

    public init(_ code: CNIErrorCode, _ msg: String, details: String? = nil) {
        self.code = code
        self.msg = msg
        self.details = details
    }
}

extension CNIError: CustomStringConvertible {
    public var description: String { details.map { "\(msg): \($0)" } ?? msg }
}

/// `{code, msg, details}`, as plugins print it (the runner adds `cniVersion` when writing one, see
/// `encoded(cniVersion:)`). Decoding accepts any plugin's error output, `cniVersion` or not.
extension CNIError: Codable {
    private enum CodingKeys: String, CodingKey { case cniVersion, code, msg, details }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(CNIErrorCode.self, forKey: .code)
        msg = try container.decodeIfPresent(String.self, forKey: .msg) ?? ""
        details = try container.decodeIfPresent(String.self, forKey: .details).flatMap { $0.isEmpty ? nil : $0 }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(msg, forKey: .msg)
        try container.encodeIfPresent(details, forKey: .details)
    }

    /// The JSON document a failing plugin prints on stdout.
    public func encoded(cniVersion: CNIVersion) -> [UInt8] {
        struct Document: Encodable {
            let cniVersion: CNIVersion
            let error: CNIError
            func encode(to encoder: Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(cniVersion, forKey: .cniVersion)
                try error.encode(to: encoder)
            }
        }
        // Only strings and integers: encoding cannot fail.
        return (try? JSONCodec.encode(Document(cniVersion: cniVersion, error: self))) ?? []
    }
}

/// An error type of another module that knows its CNI code. The conformances live together in
/// PluginKit's `ErrorCodes.swift`, so the mapping is one place, not spread over the modules.
public protocol CNICodedError: Error {
    var cniError: CNIError { get }
}

extension CNIError: CNICodedError {
    public var cniError: CNIError { self }
}

extension CNIError {
    /// Code 1 with libcni's wording, which users search for verbatim.
    static func incompatibleVersion(_ configVersion: String) -> CNIError {
        let supported = CNIVersion.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " ")
        return CNIError(.incompatibleVersion, "incompatible CNI versions",
                        details: "config is \"\(configVersion)\", plugin supports [\(supported)]")
    }
}
