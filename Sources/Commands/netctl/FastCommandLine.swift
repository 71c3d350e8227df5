/// `netctl add|del|check` read without swift-argument-parser, for the runner's hot path.
///
/// The parser's first use costs about 4 ms of CPU (measured with `perf stat` on a 2-core VM:
/// 6.0 ms of task clock for `netctl --help`, 1.8 ms for a plugin's VERSION): it reflects over the
/// command types and looks up protocol conformances among those of FoundationEssentials, which it
/// links. A runtime calling netctl per container would pay that on every ADD and DEL. This reads
/// exactly the grammar the `Add`, `Del` and `Check` commands declare and nothing else: anything it
/// does not recognise (help, completion, a misspelt option, a missing argument) returns `nil`, and
/// the parser proper then reads the line and answers as documented.
enum FastCommandLine {
    static func invocation(_ arguments: [String]) -> (AttachmentOperation, AttachmentArguments, RunnerPaths, json: Bool)? {
        guard arguments.count >= 3, let operation = AttachmentOperation(rawValue: arguments[0]) else { return nil }
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
            if argument == "--json", operation == .add {
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
            case "--ifname": attachment.ifname = value
            case "--container-id": attachment.containerID = value
            case "--args": attachment.args = value
            case "--cap": attachment.capabilities.append(value)
            case "--conf-dir": paths.confDir = value
            case "--plugin-dir": paths.pluginDirs.append(value)
            case "--cache-dir": paths.cacheDir = value
            default: return nil
            }
        }
        guard positional.count == 2 else { return nil }
        attachment.network = positional[0]
        attachment.netns = positional[1]
        return (operation, attachment, paths, json)
    }
}
