import ArgumentParser
import CNIRuntime
import NetCtlKit

/// Where the runner finds configurations, plugins and its cache; shared by every command that
/// reads networks.
struct RunnerOptions: ParsableArguments {
    @Option(name: .customLong("conf-dir"), help: ArgumentHelp("Directory of network configurations (.conflist, .conf, .json).",
                                                              valueName: "dir"))
    var confDir: String = ConfigDirectory.defaultPath

    @Option(name: .customLong("plugin-dir"),
            help: ArgumentHelp("Directory of plugin executables; repeat for more. Default: CNI_PATH, else /opt/cni/bin.",
                               valueName: "dir"))
    var pluginDirs: [String] = []

    @Option(name: .customLong("cache-dir"), help: ArgumentHelp("libcni's cache directory (results in DIR/results).", valueName: "dir"))
    var cacheDir: String = ResultCache.defaultDirectory

    var paths: RunnerPaths { RunnerPaths(confDir: confDir, pluginDirs: pluginDirs, cacheDir: cacheDir) }
    var configDirectory: ConfigDirectory { paths.configDirectory }
    var runner: NetworkRunner { paths.runner }

    func list(named name: String) throws -> NetworkConfigList { try paths.list(named: name) }
}

struct JSONFlag: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false
}
