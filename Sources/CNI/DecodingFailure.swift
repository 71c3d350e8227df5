import JSON

extension CNIError {
    /// Turns a decoder's complaint about `json` into a CNI error that names the key path and the
    /// problem. Malformed input (bad syntax, wrong JSON types, null) is code 6; well-formed input that
    /// a type rejected or that lacks a required key is an invalid configuration, code 7.
    ///
    /// `document` says what was being decoded ("network config", "result") for the message.
    public init(_ error: DecodingError, decoding document: String, from json: [UInt8]) {
        let code: CNIErrorCode
        let problem: String
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            code = .decodingFailure
            problem = context.underlyingError is JSONSyntaxError ? "invalid JSON: \(context.debugDescription)"
                : context.debugDescription
        case .dataCorrupted(let context):
            code = .invalidNetworkConfig
            problem = "\(Self.path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            code = .invalidNetworkConfig
            problem = "missing key \"\(Self.path(context.codingPath + [key]))\""
        case .valueNotFound(_, let context):
            code = .decodingFailure
            problem = "\(Self.path(context.codingPath)): must not be null"
        case .typeMismatch(_, let context):
            code = .decodingFailure
            problem = "\(Self.path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            code = .decodingFailure
            problem = String(describing: error)
        }
        self.init(code, "failed to decode \(document)", details: problem)
    }

    /// `ipam.ranges[0][1].subnet`; the root is `(top level)`.
    private static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? "(top level)" : text
    }
}
