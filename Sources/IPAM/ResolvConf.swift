import CNI

/// Reads a resolv.conf into a CNI `dns` section, as host-local's `resolvConf` option does.
enum ResolvConf {
    static func load(path: String) throws -> CNIResult.DNS {
        let text: String
        do {
            text = String(decoding: try ProcessIO.contents(ofFile: path), as: UTF8.self)
        } catch {
            throw IPAMError.invalidConfig("resolvConf \"\(path)\" cannot be read")
        }
        return parse(text)
    }

    static func parse(_ text: String) -> CNIResult.DNS {
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
