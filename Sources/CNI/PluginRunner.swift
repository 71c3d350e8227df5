import Glibc
import JSON
import POSIX

/// Runs a `CNIPlugin` as the CNI protocol demands; every plugin's `main.swift` is
/// `PluginRunner.main(MyPlugin.self)`.
///
/// The order of checks follows libcni's skel, so a runtime sees the same error for the same
/// mistake: no CNI_COMMAND prints the "about" text on stderr as skel does, or on stdout for
/// `--version`, or answers the plugin's own command line when there are other arguments (see
/// `CNIPlugin.commandLine`); VERSION answers without reading stdin; then the
/// environment (codes 4 and 3), stdin (5), the shared config (6, 1, 7), the command's minimum
/// version (1), the plugin's own config (6 or 7; a key it does not read is named on stderr, see
/// `ConfigKeys`), and for ADD, DEL and CHECK the namespace guard
/// (3 and 8, see `NamespaceCheck`). Only then is the plugin created and called.
public enum PluginRunner {
    /// What a run writes and how it exits.
    public struct Output: Sendable, Equatable {
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        public var exitCode: Int32

        public init(stdout: [UInt8] = [], stderr: [UInt8] = [], exitCode: Int32 = 0) {
            self.stdout = stdout
            self.stderr = stderr
            self.exitCode = exitCode
        }
    }

    /// Runs `plugin` against this process's environment and stdin, writes its output and exits.
    public static func main<P: CNIPlugin>(_ plugin: P.Type) -> Never {
        let output = run(plugin, environment: ProcessIO.environment(),
                         arguments: { Array(CommandLine.arguments.dropFirst()) },
                         stdin: { try ProcessIO.readAll(STDIN_FILENO) })
        ProcessIO.writeAll(STDOUT_FILENO, output.stdout)
        ProcessIO.writeAll(STDERR_FILENO, output.stderr)
        exit(output.exitCode)
    }

    /// The whole protocol without touching the process's own streams: for tests, and for running
    /// a plugin in-process.
    public static func run<P: CNIPlugin>(_ plugin: P.Type, environment: [String: String],
                                         arguments: [String] = [], stdin: [UInt8]) -> Output {
        run(plugin, environment: environment, arguments: { arguments }, stdin: { stdin })
    }

    /// As `run(_:environment:arguments:stdin:)`, reading the command-line arguments only without
    /// CNI_COMMAND and stdin only if the command needs it. An error from `readStdin` that is not a
    /// `CNICodedError` becomes code 5.
    public static func run<P: CNIPlugin>(_ plugin: P.Type, environment: [String: String],
                                         arguments readArguments: () -> [String] = { [] },
                                         stdin readStdin: () throws -> [UInt8]) -> Output {
        guard let command = environment["CNI_COMMAND"], !command.isEmpty else {
            return answer(plugin, commandLine: readArguments())
        }
        var stdin: [UInt8] = []
        var warning: [UInt8] = []
        do {
            let env = try CNIEnvironment(environment)
            if env.command == .version { return Output(stdout: versionDocument) }

            do {
                stdin = try readStdin()
            } catch let error as CNICodedError {
                throw error.cniError
            } catch {
                throw CNIError(.ioFailure, "error reading from stdin", details: String(describing: error))
            }
            let network = try NetworkConfig.decode(from: stdin)
            guard network.cniVersion.allows(env.command) else {
                throw CNIError(.incompatibleVersion, "config version does not allow \(env.command.rawValue)",
                               details: "\(env.command.rawValue) needs cniVersion \(env.command.minimumVersion.rawValue) "
                                   + "or later, config is \(network.cniVersion.rawValue)")
            }
            let config = try decodePluginConfig(plugin, from: stdin, warning: &warning)

            if let attachment = env.attachment {
                try NamespaceCheck.verify(netns: env.netns, command: env.command,
                                          allowOwnNamespace: env.netnsOverride || P.acceptsOwnNamespace)
                let request = AttachmentRequest(command: env.command, attachment: attachment, netns: env.netns,
                                                args: env.args, searchPath: env.searchPath, network: network,
                                                config: config, stdin: stdin)
                let instance = P()
                switch env.command {
                case .add: return Output(stdout: try instance.add(request).encoded(as: network.cniVersion), stderr: warning)
                case .del: try instance.del(request)
                case .check: try instance.check(request)
                case .gc, .status, .version: preconditionFailure("CNIEnvironment gives \(env.command) no attachment")
                }
            } else {
                let request = NetworkRequest(command: env.command, searchPath: env.searchPath, network: network,
                                             config: config, stdin: stdin)
                let instance = P()
                switch env.command {
                case .gc: try instance.gc(request)
                case .status:
                    do {
                        try instance.status(request)
                    } catch {
                        // STATUS speaks only "not available" (50) or "degraded" (51), whatever broke.
                        let cause = cniError(for: error, stdin: stdin)
                        let available: Set<CNIErrorCode> = [.notAvailable, .limitedConnectivity]
                        throw available.contains(cause.code) ? cause
                            : CNIError(.notAvailable, "plugin not available: \(cause.msg)", details: cause.details)
                    }
                case .add, .del, .check, .version: preconditionFailure("\(env.command) is dispatched above")
                }
            }
            return Output(stderr: warning)
        } catch {
            let reply = cniError(for: error, stdin: stdin).encoded(cniVersion: declaredVersion(in: stdin) ?? .latest)
            return Output(stdout: reply, stderr: warning, exitCode: 1)
        }
    }

    /// A plugin started by hand: the "about" text asked for with `--version`, its own command's
    /// answer, or skel's "about" text.
    private static func answer<P: CNIPlugin>(_ plugin: P.Type, commandLine arguments: [String]) -> Output {
        if arguments == ["--version"] { return Output(stdout: about(plugin)) }
        guard !arguments.isEmpty, let output = P.commandLine(arguments) else { return Output(stderr: about(plugin)) }
        return output
    }

    /// skel's text for a plugin started by hand: name, suite version, the CNI versions it speaks.
    private static func about<P: CNIPlugin>(_ plugin: P.Type) -> [UInt8] {
        let versions = CNIVersion.allCases.map(\.rawValue).joined(separator: ", ")
        return Array("\(SuiteVersion.banner(P.name))\nCNI protocol versions supported: \(versions)\n".utf8)
    }

    /// VERSION's answer. skel reports the current version rather than echoing stdin's, and so do we.
    /// Written by hand: running JSONEncoder costs more than the rest of a VERSION call together,
    /// and runtimes probe every plugin with VERSION. The version strings need no escaping.
    private static var versionDocument: [UInt8] {
        let supported = CNIVersion.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ",")
        return Array(#"{"cniVersion":"\#(CNIVersion.latest.rawValue)","supportedVersions":[\#(supported)]}"#.utf8)
    }

    /// The config's `cniVersion` if it is one we speak, for writing an error in it. Decoded anew
    /// because the error may have come before or from decoding the whole config.
    private static func declaredVersion(in stdin: [UInt8]) -> CNIVersion? {
        struct VersionOnlyConfig: Decodable { let cniVersion: CNIVersion }
        return try? JSONCodec.decode(VersionOnlyConfig.self, from: stdin).cniVersion
    }

    /// Parses stdin once for both: the unknown keys, named in `warning` even when decoding then
    /// fails (a misspelt key may be why), and the config.
    private static func decodePluginConfig<P: CNIPlugin>(_ plugin: P.Type, from stdin: [UInt8],
                                                         warning: inout [UInt8]) throws -> P.Config {
        do {
            let document = try JSONCodec.document(from: stdin)
            warning = ConfigKeys.warning(plugin: P.name, unknown: P.Config.configKeys.unknownKeys(inPluginConfig: document))
            return try JSONCodec.decode(P.Config.self, from: document)
        } catch let error as DecodingError {
            throw CNIError(error, decoding: "plugin config", from: stdin)
        }
    }

    /// The one mapping from a thrown error to what the runtime reads: coded errors keep their code,
    /// a decoding error from a plugin's own parsing gets 6 or 7, anything else is 999 (as in skel).
    private static func cniError(for error: any Error, stdin: [UInt8]) -> CNIError {
        switch error {
        case let coded as CNICodedError: coded.cniError
        case let decoding as DecodingError: CNIError(decoding, decoding: "config", from: stdin)
        default: CNIError(.internal, String(describing: error))
        }
    }
}
