import CNI
import POSIX

/// Reads a resolv.conf into a CNI `dns` section, as host-local's `resolvConf` option does.
public enum ResolvConf {
    /// glibc reads no more than 3 nameservers and 6 search domains; a real resolv.conf is a few
    /// hundred bytes, and this bounds what a config naming some other file can make us read.
    public static let sizeLimit = 64 * 1024

    static func load(path: String) throws -> CNIResult.DNS {
        let text: String
        do {
            text = String(decoding: try RegularFile.contents(atPath: path, limit: sizeLimit), as: UTF8.self)
        } catch {
            throw IPAMError.invalidConfig("resolvConf cannot be read: \(error)")
        }
        return parse(text)
    }

    public static func parse(_ text: String) -> CNIResult.DNS {
        var dns = CNIResult.DNS()
        for line in text.split(whereSeparator: \.isNewline) {
            let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
            guard let keyword = words.first, !keyword.hasPrefix("#"), !keyword.hasPrefix(";") else { continue }
            let values = Array(words.dropFirst())
            switch keyword {
            case "nameserver": dns.nameservers = (dns.nameservers ?? []) + values.prefix(1)
            case "domain": dns.domain = values.first
            case "search": dns.search = values
            case "options": dns.options = (dns.options ?? []) + values
            default: continue
            }
        }
        return dns
    }
}
