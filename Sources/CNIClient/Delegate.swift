import CNI
import Glibc
import JSON
import POSIX

/// Runs another plugin binary on our behalf, as the spec describes delegation (IPAM above all):
/// the executable named `type` is looked up in CNI_PATH, started with our environment (CNI_COMMAND
/// set by the method called) and the stdin we were given, and its stderr goes to ours.
///
/// A delegate's failure is rethrown as a `CNIError` with the delegate's own code and its `msg`
/// prefixed with `type`, so the runtime sees e.g. `host-local: no IP addresses available`. Failures
/// to run it at all: not found in CNI_PATH is code 7 (the config names a plugin we cannot reach);
/// not startable, or dying without a CNI error, is 999.
public enum Delegate {
    /// ADD; the delegate's result in any version we speak, as the 1.1.0 model.
    public static func add(type: String, stdin: [UInt8], environment: DelegateEnvironment) throws -> CNIResult {
        let output = try run(.add, type: type, stdin: stdin, environment: environment)
        do {
            return try CNIResult.decode(from: output)
        } catch let error as CNIError {
            throw CNIError(error.code, "\(type): \(error.msg)", details: error.details)
        }
    }

    public static func del(type: String, stdin: [UInt8], environment: DelegateEnvironment) throws {
        _ = try run(.del, type: type, stdin: stdin, environment: environment)
    }

    public static func check(type: String, stdin: [UInt8], environment: DelegateEnvironment) throws {
        _ = try run(.check, type: type, stdin: stdin, environment: environment)
    }

    public static func gc(type: String, stdin: [UInt8], environment: DelegateEnvironment) throws {
        _ = try run(.gc, type: type, stdin: stdin, environment: environment)
    }

    public static func status(type: String, stdin: [UInt8], environment: DelegateEnvironment) throws {
        _ = try run(.status, type: type, stdin: stdin, environment: environment)
    }

    /// ADD with the request's own stdin and environment.
    public static func add<Config>(type: String, for request: AttachmentRequest<Config>) throws -> CNIResult {
        try add(type: type, stdin: request.stdin, environment: DelegateEnvironment(request))
    }

    /// DEL with the request's stdin and environment, whatever the request's own command: this is
    /// also how a failed ADD releases what its IPAM delegate allocated.
    public static func del<Config>(type: String, for request: AttachmentRequest<Config>) throws {
        try del(type: type, stdin: request.stdin, environment: DelegateEnvironment(request))
    }

    public static func check<Config>(type: String, for request: AttachmentRequest<Config>) throws {
        try check(type: type, stdin: request.stdin, environment: DelegateEnvironment(request))
    }

    public static func gc<Config>(type: String, for request: NetworkRequest<Config>) throws {
        try gc(type: type, stdin: request.stdin, environment: DelegateEnvironment(request))
    }

    public static func status<Config>(type: String, for request: NetworkRequest<Config>) throws {
        try status(type: type, stdin: request.stdin, environment: DelegateEnvironment(request))
    }

    /// The first regular file named `type` in the search path (libcni's `FindInPath`).
    public static func executable(named type: String, in searchPath: [String]) throws -> String {
        guard !type.isEmpty, !type.contains("/") else {
            throw CNIError(.invalidNetworkConfig, "invalid plugin name \"\(type)\"")
        }
        for directory in searchPath {
            let path = directory.hasSuffix("/") ? directory + type : directory + "/" + type
            var info = stat()
            if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG { return path }
        }
        throw CNIError(.invalidNetworkConfig, "failed to find plugin \"\(type)\" in path [\(searchPath.joined(separator: " "))]")
    }

    /// Runs the delegate and returns its stdout if it succeeded.
    private static func run(_ command: CNICommand, type: String, stdin: [UInt8],
                            environment: DelegateEnvironment) throws -> [UInt8] {
        let path = try executable(named: type, in: environment.searchPath)
        let process: Subprocess
        do {
            process = try spawnRetryingBusyText(path, environment: environment.variables(for: command), stdin: stdin)
        } catch {
            throw CNIError(.internal, "\(type): cannot run \(path)", details: String(describing: error))
        }
        guard process.termination == .exited(0) else {
            if let reported = try? JSONCodec.decode(CNIError.self, from: process.stdout) {
                throw CNIError(reported.code, "\(type): \(reported.msg)", details: reported.details)
            }
            let output = String(decoding: process.stdout, as: UTF8.self)
            throw CNIError(.internal, "\(type) \(process.termination) without a CNI error",
                           details: output.isEmpty ? nil : output)
        }
        return process.stdout
    }

    /// ETXTBSY means someone holds the binary open for writing: it is being installed, or another
    /// thread forked while writing it and the child has not reached exec yet. Both pass quickly,
    /// so try a few times before giving up, as libcni does.
    private static func spawnRetryingBusyText(_ path: String, environment: [String: String],
                                              stdin: [UInt8]) throws -> Subprocess {
        var attempt = 1
        while true {
            do {
                return try Subprocess.run(path, environment: environment, stdin: stdin)
            } catch let error as Errno where error.code == ETXTBSY && attempt < 5 {
                attempt += 1
                usleep(100_000)
            }
        }
    }
}
