import Addressing
import Identity

extension AttachmentID {
    /// An interface name made for this attachment, not at random, so that a later run finds what a
    /// killed one left under it: `prefix`, then as many of the top hex digits of the attachment's
    /// hash as fill the kernel's 15 bytes.
    public func interfaceName(prefix: String) -> InterfaceName {
        let count = 15 - prefix.utf8.count
        precondition((1...15).contains(count), "an interface name prefix of \(prefix.utf8.count) bytes leaves no room")
        let digits = String(hash() >> UInt64(64 - 4 * count), radix: 16)
        return InterfaceName(prefix + String(repeating: "0", count: count - digits.count) + digits)!
    }
}
