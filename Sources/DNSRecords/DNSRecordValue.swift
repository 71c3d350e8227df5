import Addressing

/// A record's stored value: everything but the owner, which the key holds.
struct DNSRecordValue: Codable {
    let domain: String
    let names: [String]
    let addresses: [IPAddress]
    let gateways: [IPAddress]
    let upstreams: [DNSUpstream]

    init(_ record: DNSRecord) {
        domain = record.domain
        names = record.names
        addresses = record.addresses
        gateways = record.gateways
        upstreams = record.upstreams
    }
}
