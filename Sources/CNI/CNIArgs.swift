/// `CNI_ARGS`: `K=V;K2=V2`.
public struct CNIArgs: Sendable, Equatable {
    public var values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }

    public subscript(key: String) -> String? { values[key] }

    /// Parses libcni's format: pairs separated by `;`, each exactly one `=` with a non-empty key.
    /// Empty segments (a trailing `;`) are skipped; anything else malformed is code 4, because
    /// CNI_ARGS is an environment variable. A repeated key keeps its last value, as in libcni.
    /// Split at the scalars `;` and `=`, as libcni splits bytes: a combining mark after one would
    /// make a single character of the two.
    public init(parsing text: String) throws {
        var values: [String: String] = [:]
        for pair in text.unicodeScalars.split(separator: ";", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw CNIError(.invalidEnvironment, "invalid CNI_ARGS pair \"\(String(pair))\"",
                               details: "CNI_ARGS must be KEY=VALUE pairs separated by ';'")
            }
            values[String(parts[0])] = String(parts[1])
        }
        self.values = values
    }
}

extension CNIArgs: CustomStringConvertible {
    /// The `CNI_ARGS` form, keys sorted, as handed on to delegates.
    public var description: String {
        values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
    }
}
