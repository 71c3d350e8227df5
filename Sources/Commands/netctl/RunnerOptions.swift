import ArgumentParser
import CNIRuntime
import POSIX

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

/// Where configurations, plugins and the cache are, however the command line was read.
struct RunnerPaths {
    var confDir = ConfigDirectory.defaultPath
    var pluginDirs: [String] = []
    var cacheDir = ResultCache.defaultDirectory

    var configDirectory: ConfigDirectory { ConfigDirectory(path: confDir) }

    var searchPath: [String] {
        if !pluginDirs.isEmpty { return pluginDirs }
        if let path = ProcessIO.environment()["CNI_PATH"], !path.isEmpty {
            return path.split(separator: ":").map(String.init)
        }
        return ["/opt/cni/bin"]
    }

    var runner: NetworkRunner { NetworkRunner(searchPath: searchPath, cache: ResultCache(directory: cacheDir)) }

    /// The named network's configuration, warning about files that could not be read.
    func list(named name: String) throws -> NetworkConfigList {
        do {
            return try configDirectory.list(named: name)
        } catch {
            throw CommandFailure("\(error)", hint: "`netctl network ls --conf-dir \(confDir)` lists the networks there; fix or remove the files named above")
        }
    }
}

struct JSONFlag: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false
}
