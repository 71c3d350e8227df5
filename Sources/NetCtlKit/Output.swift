import JSON
import POSIX

/// What the commands print: aligned tables for people, JSON for programs, errors on stderr.
public enum Output {
    public static func error(_ message: String) {
        _ = ProcessIO.writeAll(2, Array("netctl: \(message)\n".utf8))
    }

    public static func warning(_ message: String) {
        _ = ProcessIO.writeAll(2, Array("netctl: warning: \(message)\n".utf8))
    }

    public static func json(_ value: JSONValue) {
        print(String(decoding: JSONWriter.write(value), as: UTF8.self))
    }

    public static func json(_ bytes: [UInt8]) {
        print(String(decoding: bytes, as: UTF8.self))
    }

    /// Columns padded to their widest cell, two spaces apart; empty cells print as "-".
    public static func table(_ headers: [String], _ rows: [[String]]) {
        let cells = [headers] + rows.map { $0.map { $0.isEmpty ? "-" : $0 } }
        var widths = headers.map(\.count)
        for row in cells {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        for row in cells {
            let line = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
            print(line)
        }
    }

    /// `key: value` lines with the keys aligned.
    public static func fields(_ pairs: [(String, String)], indent: String = "") {
        let width = pairs.map(\.0.count).max() ?? 0
        for (key, value) in pairs {
            print(indent + key + ":" + String(repeating: " ", count: width - key.count + 1) + (value.isEmpty ? "-" : value))
        }
    }
}
