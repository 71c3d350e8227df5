/// A CNI spec version this project speaks. Anything else is refused with code 1.
public enum CNIVersion: String, CaseIterable, Comparable, Sendable, Codable {
    case v0_3_0 = "0.3.0"
    case v0_3_1 = "0.3.1"
    case v0_4_0 = "0.4.0"
    case v1_0_0 = "1.0.0"
    case v1_1_0 = "1.1.0"

    public static let latest = CNIVersion.v1_1_0

    /// Whether results of this version carry `"version": "4"|"6"` in each `ips` entry (pre-1.0 layout).
    public var resultCarriesIPVersion: Bool { self < .v1_0_0 }

    /// Whether a config of this version may be sent with `command` (CHECK came in 0.4.0, GC and
    /// STATUS in 1.1.0).
    public func allows(_ command: CNICommand) -> Bool { self >= command.minimumVersion }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
