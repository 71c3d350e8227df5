import Addressing
import CNI
import JSON
import PluginKit

/// What must hold for any input, beyond not crashing. A violation stops the process with a message,
/// which libFuzzer reports as a crash and saves the input for.
enum Invariants {
    /// JSON text that parses prints as text that parses to the same value and prints the same.
    static func checkJSON(_ bytes: [UInt8]) {
        guard let value = try? JSONParser.parse(bytes) else { return }
        let text = JSONWriter.write(value)
        guard let again = try? JSONParser.parse(text) else { fail("written JSON does not parse", text) }
        require(again == value, "written JSON parses to another value", text)
        require(JSONWriter.write(again) == text, "JSON writes differently the second time", text)
    }

    /// A result that decodes (as a delegate's output would) encodes in every version to a document
    /// that decodes back and encodes the same: nothing is lost or changed in a second pass.
    static func checkResult(_ bytes: [UInt8]) {
        guard let result = try? CNIResult.decode(from: bytes) else { return }
        for version in CNIVersion.allCases {
            let document = encoded(result, as: version)
            guard let decoded = try? CNIResult.decode(from: document) else {
                fail("a result encoded as \(version.rawValue) does not decode", document)
            }
            require(encoded(decoded, as: version) == document,
                    "a result encoded as \(version.rawValue) changes when decoded and encoded again", document)
        }
    }

    /// An error document that decodes (a delegate's failure) survives being written and read again.
    static func checkError(_ bytes: [UInt8]) {
        guard let error = try? JSONCodec.decode(CNIError.self, from: bytes) else { return }
        let document = error.encoded(cniVersion: .latest)
        require((try? JSONCodec.decode(CNIError.self, from: document)) == error,
                "an error document changes when written and read again", document)
    }

    /// The runner answers every input with exit 0 or with exit 1 and a coded error on stdout; a
    /// code of 999 means some input failed in a way that no decoder turned into a CNI error. A
    /// successful ADD prints a result in the config's version.
    static func checkRun(_ output: PluginRunner.Output, command: String?) {
        switch output.exitCode {
        case 0 where command == CNICommand.add.rawValue:
            guard let result = try? CNIResult.decode(from: output.stdout),
                  let version = try? JSONCodec.decode(Versioned.self, from: output.stdout).cniVersion
            else { fail("ADD succeeded with stdout that is no result", output.stdout) }
            require(encoded(result, as: version) == output.stdout, "ADD's result is not in its own layout", output.stdout)
        case 0:
            break
        case 1:
            guard let error = try? JSONCodec.decode(CNIError.self, from: output.stdout),
                  (try? JSONCodec.decode(Versioned.self, from: output.stdout)) != nil
            else { fail("a failure printed no error document", output.stdout) }
            require(error.code != .internal, "a failure has code 999", output.stdout)
        default:
            fail("exit code \(output.exitCode)", output.stdout)
        }
    }

    /// A validated interface name is one the kernel takes byte for byte (`dev_valid_name`), and has
    /// no NUL that would cut it short.
    static func checkKernelRules(_ name: InterfaceName) {
        let bytes = Array(name.rawValue.utf8)
        let refused: Set<UInt8> = [0, UInt8(ascii: "/"), UInt8(ascii: ":"), 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D]
        require((1...15).contains(bytes.count) && bytes != [0x2E] && bytes != [0x2E, 0x2E]
                    && !bytes.contains(where: refused.contains),
                "an interface name the kernel refuses was accepted", bytes)
    }

    /// An attachment's host alias parses back to the attachment (GC finds owners by it).
    static func checkHostAlias(_ attachment: AttachmentID) {
        let alias = attachment.hostAlias
        require(AttachmentID(hostAlias: alias) == attachment, "host alias does not parse back", Array(alias.utf8))
    }

    /// A delegate started for a request reads the same request from the environment it is given.
    static func checkDelegateEnvironment<Config>(of request: AttachmentRequest<Config>) {
        let variables = DelegateEnvironment(request, inherited: [:]).variables(for: request.command)
        let description = Array(variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined().utf8)
        guard let environment = try? CNIEnvironment(variables) else {
            fail("a delegate's environment is refused", description)
        }
        require(environment.attachment == request.attachment && environment.netns == request.netns
                    && environment.args == request.args && environment.searchPath == request.searchPath,
                "a delegate's environment describes another request", description)
    }

    private struct Versioned: Decodable {
        let cniVersion: CNIVersion
    }

    private static func encoded(_ result: CNIResult, as version: CNIVersion) -> [UInt8] {
        do {
            return try result.encoded(as: version)
        } catch {
            fail("a decoded result does not encode as \(version.rawValue): \(error)", [])
        }
    }

    private static func require(_ condition: Bool, _ problem: @autoclosure () -> String, _ bytes: [UInt8]) {
        if !condition { fail(problem(), bytes) }
    }

    private static func fail(_ problem: String, _ bytes: [UInt8]) -> Never {
        fatalError("\(problem): \(String(decoding: bytes, as: UTF8.self))")
    }
}
