/// One fuzz input split into what a plugin receives: its environment and its stdin.
///
/// The framing is text, so that corpus files read like a plugin invocation:
///
///     CNI_COMMAND=ADD
///     CNI_CONTAINERID=c1
///     CNI_NETNS=/proc/self/ns/net
///     CNI_IFNAME=eth0
///
///     {"cniVersion":"1.1.0","name":"net","type":"bridge"}
///
/// Everything before the first blank line (`\n\n`) is the environment, one `NAME=VALUE` per line,
/// split at the first `=`; a line ends at its first NUL byte, as a C environment string does, and
/// one without `=` is skipped (so a value cannot hold a newline or a NUL). Everything after the blank line is
/// stdin, byte for byte. An input without a blank line is all stdin, with an empty environment.
struct FuzzInput {
    let environment: [String: String]
    let stdin: [UInt8]

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        let newline = UInt8(ascii: "\n")
        guard let blank = bytes.indices.dropLast().first(where: { bytes[$0] == newline && bytes[$0 + 1] == newline })
        else {
            environment = [:]
            stdin = Array(bytes)
            return
        }
        var environment: [String: String] = [:]
        for line in bytes[..<blank].split(separator: newline) {
            let entry = line.prefix { $0 != 0 }
            guard let equals = entry.firstIndex(of: UInt8(ascii: "=")) else { continue }
            environment[String(decoding: entry[..<equals], as: UTF8.self)] =
                String(decoding: entry[(equals + 1)...], as: UTF8.self)
        }
        self.environment = environment
        stdin = Array(bytes[(blank + 2)...])
    }
}
