/// What an OPT pseudo-record says (RFC 6891): the largest UDP payload its sender reassembles.
/// Options are not kept: we set none and forward upstream answers as they came.
public struct EDNS: Equatable, Sendable {
    /// The advertised payload size, never below 512.
    public var udpPayloadSize: Int
    public var version: UInt8
    /// The DNSSEC OK bit.
    public var dnssecOK: Bool

    public init(udpPayloadSize: Int, version: UInt8 = 0, dnssecOK: Bool = false) {
        self.udpPayloadSize = max(udpPayloadSize, DNSMessage.classicUDPSize)
        self.version = version
        self.dnssecOK = dnssecOK
    }

    /// Octets an OPT record without options takes.
    static let wireLength = 11
}
