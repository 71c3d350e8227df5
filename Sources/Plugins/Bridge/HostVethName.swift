import Addressing
import CNI

/// The host end of an attachment's veth pair is named after the attachment, not at random, so
/// DEL finds it without the container's namespace and a repeated ADD finds a crashed attempt's
/// leftover: `veth` followed by 11 hex digits of a 64-bit FNV-1a hash of network, container ID
/// and interface name (15 bytes, the kernel's limit).
enum HostVethName {
    static func make(network: NetworkName, attachment: Attachment) -> InterfaceName {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(network)/\(attachment.containerID)/\(attachment.interface)".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let digits = String(hash >> 20, radix: 16)
        return InterfaceName("veth" + String(repeating: "0", count: 11 - digits.count) + digits)!
    }

    /// Whether `name` has the shape of a name this type makes.
    static func matches(_ name: String) -> Bool {
        name.utf8.count == 15 && name.hasPrefix("veth") && name.dropFirst(4).allSatisfy(\.isHexDigit)
    }
}
