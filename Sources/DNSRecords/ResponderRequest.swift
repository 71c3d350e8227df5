import JSON

/// What a client asks the responder, as one line of JSON on the control socket.
public enum ResponderRequest: Sendable, Equatable, Codable {
    /// `{"sync": n}`: reply once the store at revision `n` or later is loaded and the listeners
    /// match the records' gateways.
    case sync(revision: Int64)
    /// `{"status": true}`: reply with what is served now.
    case status

    enum CodingKeys: String, CodingKey {
        case sync, status
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let revision = try container.decodeIfPresent(Int64.self, forKey: .sync) {
            self = .sync(revision: revision)
        } else if try container.decodeIfPresent(Bool.self, forKey: .status) == true {
            self = .status
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "a request is {\"sync\": n} or {\"status\": true}"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .sync(let revision): try container.encode(revision, forKey: .sync)
        case .status: try container.encode(true, forKey: .status)
        }
    }
}
