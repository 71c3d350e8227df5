import Glibc
import NetCtlKit

/// netctl-cli, the executable that holds netctl's full command line: installed beside netctl (as
/// integration/install and the release archive put it), or in `../libexec/swift-cni/` from netctl's
/// directory, as a distribution may lay it out.
enum CommandLineInterface {
    static let name = "netctl-cli"

    /// Replaces this process with netctl-cli, given the same arguments and environment.
    static func exec(_ arguments: [String]) -> Never {
        let directory = ownDirectory()
        let candidates = [directory + "/" + name, directory + "/../libexec/swift-cni/" + name]
        let argv = arguments.map { strdup($0) } + [nil]
        var failure = ENOENT
        for path in candidates {
            execv(path, argv)
            if errno != ENOENT { failure = errno }
        }
        Output.error(CommandFailure("cannot run \(name): \(String(cString: strerror(failure))) (looked for \(candidates.joined(separator: " and ")))",
                                    hint: "install netctl-cli with netctl: integration/install puts both in the same directory").description)
        exit(1)
    }

    /// The directory of this executable, symbolic links resolved.
    private static func ownDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return "." }
        let path = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "" : String(path[..<slash])
    }
}
