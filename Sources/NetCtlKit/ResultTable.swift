import CNI

/// A result as people read it.
enum ResultTable {
    static func print(_ result: CNIResult) {
        if !result.interfaces.isEmpty {
            Output.table(["INTERFACE", "MAC", "SANDBOX"], result.interfaces.map { [$0.name, $0.mac ?? "", $0.sandbox ?? ""] })
        }
        if !result.ips.isEmpty {
            Output.table(["ADDRESS", "GATEWAY", "INTERFACE"], result.ips.map { ip in
                [ip.address.description, ip.gateway?.description ?? "",
                 ip.interface.flatMap { $0 < result.interfaces.count ? result.interfaces[$0].name : nil } ?? ""]
            })
        }
        if !result.routes.isEmpty {
            Output.table(["ROUTE", "VIA"], result.routes.map { [$0.dst.description, $0.gw?.description ?? ""] })
        }
        if let dns = result.dns, let servers = dns.nameservers, !servers.isEmpty {
            Swift.print("dns: \(servers.joined(separator: " "))" + (dns.search.map { " search \($0.joined(separator: " "))" } ?? ""))
        }
    }
}
