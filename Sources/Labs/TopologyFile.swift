import JSON
import POSIX

/// Reading a topology file: JSON, or the YAML subset `YAMLSubset` reads, into a validated `Topology`.
public enum TopologyFile {
    /// Larger than any hand-written lab; a bound so a wrong path (a device, a log) fails fast.
    static let sizeLimit = 1 << 20

    /// Loads, decodes and validates the topology at `path`.
    ///
    /// - Throws: `LabFileError` naming `path` and the field at fault.
    public static func load(path: String) throws(LabFileError) -> Topology {
        let bytes: [UInt8]
        do {
            bytes = try RegularFile.contents(atPath: path, limit: sizeLimit)
        } catch {
            if case .system(let code) = error.problem { throw LabFileError(file: path, field: nil, problem: "\(code)") }
            throw LabFileError(file: path, field: nil, problem: "\(error)")
        }
        return try parse(bytes, file: path)
    }

    /// Decodes and validates topology text; `file` names it in errors, and its extension chooses the format
    /// (`.json`, `.yaml`/`.yml`; otherwise text starting with `{` is JSON).
    public static func parse(_ bytes: [UInt8], file: String) throws(LabFileError) -> Topology {
        let document: JSONValue
        do {
            document = isJSON(bytes, file: file) ? try JSONCodec.document(from: bytes)
                : try YAMLSubset.parse(String(decoding: bytes, as: UTF8.self))
        } catch let DecodingError.dataCorrupted(context) {
            throw LabFileError(file: file, field: nil, problem: "invalid JSON: \(context.debugDescription)")
        } catch {
            throw LabFileError(file: file, field: nil, problem: "invalid YAML: \(error)")
        }
        guard case .object = document else {
            throw LabFileError(file: file, field: nil, problem: "a topology is an object with at least \"name\"")
        }
        if let (field, problem) = unknownField(in: document, section: "", path: "") {
            throw LabFileError(file: file, field: field, problem: problem)
        }
        let topology: Topology
        do {
            topology = try JSONCodec.decode(Topology.self, from: document)
        } catch let error as DecodingError {
            let (field, problem) = explain(error)
            throw LabFileError(file: file, field: field, problem: problem)
        } catch {
            throw LabFileError(file: file, field: nil, problem: "\(error)")
        }
        if let refusal = topology.problem() {
            throw LabFileError(file: file, field: refusal.field, problem: refusal.problem)
        }
        return topology
    }

    private static func isJSON(_ bytes: [UInt8], file: String) -> Bool {
        if file.hasSuffix(".json") { return true }
        if file.hasSuffix(".yaml") || file.hasSuffix(".yml") { return false }
        return bytes.first(where: { $0 != 0x20 && $0 != 0x0a && $0 != 0x0d && $0 != 0x09 }) == UInt8(ascii: "{")
    }

    /// The first field `Topology.schema` does not know, with a hint at the nearest one it does.
    private static func unknownField(in value: JSONValue, section: String, path: String) -> (String, String)? {
        switch value {
        case .object(let members):
            guard let known = Topology.schema[section] else { return nil }
            for key in members.keys.sorted() {
                let field = path.isEmpty ? key : "\(path).\(key)"
                guard known.contains(key) else {
                    let hint = known.sorted().first(where: { $0.hasPrefix(key) || key.hasPrefix($0) })
                        .map { " (did you mean \"\($0)\"?)" } ?? ""
                    return (field, "unknown field; known fields are \(known.sorted().joined(separator: ", "))\(hint)")
                }
                let inner = section.isEmpty ? key : "\(section).\(key)"
                if let found = unknownField(in: members[key]!, section: inner, path: field) { return found }
            }
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = unknownField(in: item, section: section, path: "\(path)[\(index)]") { return found }
            }
        default:
            break
        }
        return nil
    }

    private static func explain(_ error: DecodingError) -> (String?, String) {
        switch error {
        case .dataCorrupted(let context):
            return (fieldPath(context.codingPath), context.debugDescription)
        case .keyNotFound(let key, let context):
            return (fieldPath(context.codingPath + [key]), "missing (required)")
        case .valueNotFound(_, let context):
            return (fieldPath(context.codingPath), "must not be null")
        case .typeMismatch(_, let context):
            return (fieldPath(context.codingPath), context.debugDescription)
        @unknown default:
            return (nil, "\(error)")
        }
    }

    /// `veths[0].a.namespace`.
    static func fieldPath(_ codingPath: [any CodingKey]) -> String? {
        guard !codingPath.isEmpty else { return nil }
        var text = ""
        for key in codingPath {
            if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        return text
    }
}
