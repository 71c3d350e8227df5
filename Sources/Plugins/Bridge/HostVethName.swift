import Addressing
import Identity
import PluginKit

/// The host end of an attachment's veth pair is named after the attachment, not at random, so
/// DEL finds it without the container's namespace and a repeated ADD finds a crashed attempt's
/// leftover: `veth` followed by 11 hex digits of the attachment's hash.
enum HostVethName {
    static func make(for attachment: AttachmentID) -> InterfaceName {
        attachment.interfaceName(prefix: "veth")
    }

    /// Whether `name` has the shape of a name this type makes.
    static func matches(_ name: String) -> Bool {
        name.utf8.count == 15 && name.hasPrefix("veth") && name.dropFirst(4).allSatisfy(\.isHexDigit)
    }
}
