import Addressing
import Glibc

/// Who holds a local port: the socket in /proc/net/{udp,tcp}{,6} bound to the address or the
/// wildcard, its inode, and the process with a descriptor on that inode.
enum PortHolder {
    /// `comm (pid n)` of the holder, or what is known when the process is not visible.
    static func describe(_ address: IPAddress, port: UInt16) -> String {
        let tables = address.family == .ipv4 ? ["udp", "tcp", "udp6", "tcp6"] : ["udp6", "tcp6"]
        for table in tables {
            for inode in inodes(table: "/proc/net/" + table, address: address, port: port) {
                if let process = process(holding: inode) { return process }
            }
        }
        return "unknown process"
    }

    /// Inodes of sockets in `table` on `port` at `address` or the wildcard (or, for a v6 table, the
    /// v6 wildcard, which takes v4 too unless V6ONLY).
    private static func inodes(table: String, address: IPAddress, port: UInt16) -> [String] {
        guard let text = readText(table) else { return [] }
        let portHex = String(port, radix: 16, uppercase: true)
        let wanted = Set([hex(address), hex(.v4(IPv4Address(0))), hex(.v6(IPv6Address(high: 0, low: 0)))])
        var result: [String] = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 9 else { continue }
            let local = fields[1].split(separator: ":")
            guard local.count == 2, wanted.contains(String(local[0])),
                  Int(local[1], radix: 16) == Int(portHex, radix: 16) else { continue }
            result.append(String(fields[9]))
        }
        return result
    }

    /// The kernel's text for an address: 32-bit words in host (little-endian) order, hex.
    private static func hex(_ address: IPAddress) -> String {
        let bytes = address.bytes
        var text = ""
        for word in stride(from: 0, to: bytes.count, by: 4) {
            for byte in bytes[word..<word + 4].reversed() {
                let digits = String(byte, radix: 16, uppercase: true)
                text += digits.count == 1 ? "0" + digits : digits
            }
        }
        return text
    }

    private static func process(holding inode: String) -> String? {
        let target = "socket:[\(inode)]"
        guard let proc = opendir("/proc") else { return nil }
        defer { closedir(proc) }
        while let entry = readdir(proc) {
            let pid = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard !pid.isEmpty, pid.allSatisfy(\.isNumber), let fds = opendir("/proc/\(pid)/fd") else { continue }
            defer { closedir(fds) }
            while let fd = readdir(fds) {
                let name = withUnsafeBytes(of: fd.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                var buffer = [CChar](repeating: 0, count: 64)
                let length = readlink("/proc/\(pid)/fd/\(name)", &buffer, buffer.count - 1)
                guard length > 0 else { continue }
                if String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) == target {
                    let comm = readText("/proc/\(pid)/comm")?.split(separator: "\n").first.map(String.init) ?? "?"
                    return "\(comm) (pid \(pid))"
                }
            }
        }
        return nil
    }
}

/// A small /proc or /etc file's text, or `nil` if it cannot be read.
func readText(_ path: String) -> String? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(descriptor, &buffer, buffer.count)
        if count <= 0 { break }
        data += buffer[0..<count]
        if data.count > 16 << 20 { break }
    }
    return String(decoding: data, as: UTF8.self)
}

/// The `nameserver` lines of resolv.conf, as upstreams on port 53.
func hostNameservers(_ path: String = "/etc/resolv.conf") -> [IPAddress] {
    guard let text = readText(path) else { return [] }
    return text.split(separator: "\n").compactMap { line in
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count >= 2, fields[0] == "nameserver" else { return nil }
        return IPAddress(fields[1])
    }
}
