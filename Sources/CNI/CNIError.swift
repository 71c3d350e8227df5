/// Error codes from the CNI spec (0-99 are reserved for it), plus libcni's 8 and 999.
public enum CNIErrorCode: Int, Sendable, Codable {
    case incompatibleVersion = 1
    case unsupportedField = 2
    case unknownContainer = 3
    case invalidEnvironment = 4
    case ioFailure = 5
    case decodingFailure = 6
    case invalidNetworkConfig = 7
    case invalidNetNS = 8
    case tryAgainLater = 11
    case notAvailable = 50
    case limitedConnectivity = 51
    case `internal` = 999
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

/// An error type of another module that knows its CNI code. The conformances live together in
/// PluginKit's `ErrorCodes.swift`, so the mapping is one place, not spread over the modules.
public protocol CNICodedError: Error {
    var cniError: CNIError { get }
}

extension CNIError: CNICodedError {
    public var cniError: CNIError { self }
}
