import JSON
import POSIX

/// How the lab commands print: aligned columns for people, JSON for `--json`.
enum LabOutput {
    /// Rows under a header, each column as wide as its widest cell.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// Writes a line to standard output at once, unbuffered: progress must show while a step runs, and
    /// in order with everything else the command prints.
    static func line(_ text: String) {
        _ = ProcessIO.writeAll(1, Array((text + "\n").utf8))
    }

    /// Prints `entries` as JSON, or as a table with `header` and a row per entry, or `none` when empty.
    static func list<Entry: Encodable>(_ entries: [Entry], json: Bool, none: String, header: [String],
                                       row: (Entry) -> [String]) throws {
        if json {
            line(try self.json(entries))
        } else if entries.isEmpty {
            line(none)
        } else {
            line(table(header, entries.map(row)))
        }
    }

    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONCodec.encode(value), as: UTF8.self)
    }
}
