import Addressing
import Glibc

/// A gratuitous ARP reply sent into a bridge on behalf of a remote container, once its neighbour
/// entry is in the VXLAN device: a local container whose ARP request for that address went out
/// before the entry existed (and was dropped: the device floods nothing) learns the MAC at once,
/// instead of after its ARP retransmit time (1 s by default).
public enum ARPAnnouncement {
    /// Sends `ip` is-at `mac` to everyone on link `index` (the overlay's bridge, which floods it to
    /// its ports; the VXLAN port drops it, having no entry for the broadcast address).
    public static func send(_ ip: IPv4Address, isAt mac: MACAddress, onLink index: Int) throws {
        let descriptor = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ARPAnnouncementError(errno: errno) }
        defer { close(descriptor) }
        let broadcast: [UInt8] = Array(repeating: 0xFF, count: 6)
        let address = [UInt8((ip.value >> 24) & 0xFF), UInt8((ip.value >> 16) & 0xFF), UInt8((ip.value >> 8) & 0xFF),
                       UInt8(ip.value & 0xFF)]
        // Ethernet header, then ARP: Ethernet/IPv4, reply, sender and target both the announced pair.
        var frame = broadcast + mac.bytes + [0x08, 0x06]
        frame += [0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02]
        frame += mac.bytes + address + broadcast + address
        // struct sockaddr_ll (<linux/if_packet.h>, which Glibc's module leaves out): family, protocol
        // (network order), ifindex, hatype, pkttype, halen, addr[8].
        var link = withUnsafeBytes(of: UInt16(AF_PACKET)) { Array($0) } + [0x08, 0x06]
        link += withUnsafeBytes(of: Int32(index)) { Array($0) } + [0, 0, 0, 6] + broadcast + [0, 0]
        let sent = frame.withUnsafeBytes { bytes in
            link.withUnsafeBytes { address in
                sendto(descriptor, bytes.baseAddress, bytes.count, 0, address.baseAddress!.assumingMemoryBound(to: sockaddr.self),
                       socklen_t(address.count))
            }
        }
        guard sent == frame.count else { throw ARPAnnouncementError(errno: sent < 0 ? errno : EIO) }
    }
}

/// Why an announcement could not be sent.
public struct ARPAnnouncementError: Error, CustomStringConvertible {
    public let errno: Int32
    public var description: String { "cannot send a gratuitous ARP: \(String(cString: strerror(errno)))" }
}
