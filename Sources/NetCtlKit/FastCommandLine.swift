/// `netctl add|del|check|gc|status` read without swift-argument-parser, for the runner's hot path.
///
/// The parser's first use costs about 4 ms of CPU (measured with `perf stat` on a 2-core VM:
/// 6.0 ms of task clock for `netctl --help`, 1.8 ms for a plugin's VERSION): it reflects over the
/// command types and looks up protocol conformances among those of FoundationEssentials, which it
/// links. A runtime calling netctl per container would pay that on every ADD and DEL. This reads
/// exactly the grammar the `Add`, `Del`, `Check`, `GC` and `Status` commands declare and nothing
/// else: anything it does not recognise (help, completion, a misspelt option, a missing argument)
/// returns `nil`, and the parser proper then reads the line and answers as documented.
public enum FastCommandLine {
    /// A runner command as read from the command line.
    public enum Invocation: Equatable {
        case attachment(AttachmentOperation, AttachmentArguments, RunnerPaths, json: Bool)
        case network(NetworkOperation, network: String, RunnerPaths, json: Bool)

        /// Runs the command; a `UsageError` comes before it has done anything.
        public func run() throws {
            switch self {
            case .attachment(let operation, let attachment, let paths, let json):
                try operation.run(attachment, paths, json: json)
            case .network(let operation, let network, let paths, let json):
                try operation.run(network: network, paths, json: json)
            }
        }
    }

    /// The command `arguments` (without the program's name) ask for; `nil` for any other line.
    public static func invocation(_ arguments: [String]) -> Invocation? {
        guard let command = arguments.first else { return nil }
        let operation = AttachmentOperation(rawValue: command)
        let networkOperation = NetworkOperation(rawValue: command)
        guard operation != nil || networkOperation != nil else { return nil }
        var positional: [String] = []
        var attachment = AttachmentArguments(network: "", netns: "")
        var paths = RunnerPaths()
        var json = false
        var index = 1
        while index < arguments.count {
            var argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-") else {
                positional.append(argument)
                continue
            }
            if argument == "--json", operation == .add || networkOperation == .gc {
                json = true
                continue
            }
            let value: String
            if let equals = argument.firstIndex(of: "=") {
                value = String(argument[argument.index(after: equals)...])
                argument = String(argument[..<equals])
            } else {
                guard index < arguments.count else { return nil }
                value = arguments[index]
                index += 1
            }
            switch argument {
            case "--conf-dir": paths.confDir = value
            case "--plugin-dir": paths.pluginDirs.append(value)
            case "--cache-dir": paths.cacheDir = value
            case "--ifname" where operation != nil: attachment.ifname = value
            case "--container-id" where operation != nil: attachment.containerID = value
            case "--args" where operation != nil: attachment.args = value
            case "--cap" where operation != nil: attachment.capabilities.append(value)
            default: return nil
            }
        }
        if let operation {
            guard positional.count == 2 else { return nil }
            attachment.network = positional[0]
            attachment.netns = positional[1]
            return .attachment(operation, attachment, paths, json: json)
        }
        guard let networkOperation, positional.count == 1 else { return nil }
        return .network(networkOperation, network: positional[0], paths, json: json)
    }
}
