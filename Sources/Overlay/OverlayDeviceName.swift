import Addressing

/// The VXLAN device of an overlay is named after its VNI, so that every host's agent finds the
/// device of a record from the record alone: `vxlan<vni>`, at most 13 bytes.
public enum OverlayDeviceName {
    public static let prefix = "vxlan"

    public static func make(vni: UInt32) -> InterfaceName {
        InterfaceName(prefix + String(vni))!
    }

    /// The VNI a device name of this shape carries, or `nil`.
    public static func vni(of name: String) -> UInt32? {
        guard name.hasPrefix(prefix), let vni = UInt32(name.dropFirst(prefix.count)),
              make(vni: vni).rawValue == name else { return nil }
        return vni
    }
}
