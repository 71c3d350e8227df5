import Addressing

/// `CNI_CONTAINERID`: libcni's character rule, at most `maximumLength` bytes (the 64 hex digits that
/// Docker, podman, containerd and CRI-O use fit).
public struct ContainerID: Hashable, Sendable, StringCodable {
    public static let maximumLength = 64

    public let rawValue: String

    public init?(_ text: String) {
        guard Self.problem(with: text) == nil else { return nil }
        rawValue = text
    }

    /// Why `text` is not a container ID; `nil` if it is one.
    public static func problem(with text: String) -> String? {
        CNIName.problem(with: text, maximumLength: maximumLength)
    }

    public var description: String { rawValue }

    public static func refusal(_ text: String) -> String {
        "invalid container ID \"\(text)\": a container ID \(problem(with: text) ?? "is invalid")"
    }
}
