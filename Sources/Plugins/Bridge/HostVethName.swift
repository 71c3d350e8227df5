import Addressing
import Identity

/// The host end of an attachment's veth pair is named after the attachment, not at random, so
/// DEL finds it without the container's namespace and a repeated ADD finds a crashed attempt's
/// leftover: `veth` followed by the top 44 bits of the attachment's hash in 11 hex digits (15
/// bytes, the kernel's limit).
enum HostVethName {
    static func make(for attachment: AttachmentID) -> InterfaceName {
        let digits = String(attachment.hash() >> 20, radix: 16)
        return InterfaceName("veth" + String(repeating: "0", count: 11 - digits.count) + digits)!
    }

    /// Whether `name` has the shape of a name this type makes.
    static func matches(_ name: String) -> Bool {
        name.utf8.count == 15 && name.hasPrefix("veth") && name.dropFirst(4).allSatisfy(\.isHexDigit)
    }
}
