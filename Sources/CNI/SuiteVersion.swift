/// swift-cni's release version, written in this one place: every plugin's "about" text and
/// `--version`, `cni-dns --version`, and the release archive's name (`integration/release` reads
/// it from this file) take it from here.
public enum SuiteVersion {
    /// The version, `MAJOR.MINOR.PATCH`.
    public static let current = "0.1.0"

    /// The version as release tags and archive names spell it: `v0.1.0`.
    public static var tag: String { "v" + current }

    /// The first line of a program's version text, as the reference plugins word it ("CNI bridge
    /// plugin v1.1.1"), naming the suite because the plugins share the reference ones' names.
    public static func banner(_ program: String) -> String {
        "CNI \(program) plugin \(tag) (swift-cni)"
    }
}
