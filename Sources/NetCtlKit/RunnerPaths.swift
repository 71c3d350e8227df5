import CNIRuntime
import POSIX

/// Where configurations, plugins and the cache are, however the command line was read.
public struct RunnerPaths: Equatable {
    public var confDir: String
    public var pluginDirs: [String]
    public var cacheDir: String

    public init(confDir: String = ConfigDirectory.defaultPath, pluginDirs: [String] = [],
                cacheDir: String = ResultCache.defaultDirectory) {
        self.confDir = confDir
        self.pluginDirs = pluginDirs
        self.cacheDir = cacheDir
    }

    public var configDirectory: ConfigDirectory { ConfigDirectory(path: confDir) }

    public var searchPath: [String] {
        if !pluginDirs.isEmpty { return pluginDirs }
        if let path = ProcessIO.environment()["CNI_PATH"], !path.isEmpty {
            return path.split(separator: ":").map(String.init)
        }
        return ["/opt/cni/bin"]
    }

    public var runner: NetworkRunner { NetworkRunner(searchPath: searchPath, cache: ResultCache(directory: cacheDir)) }

    /// The named network's configuration, warning about files that could not be read.
    public func list(named name: String) throws -> NetworkConfigList {
        do {
            return try configDirectory.list(named: name)
        } catch {
            throw CommandFailure("\(error)", hint: "`netctl network ls --conf-dir \(confDir)` lists the networks there; fix or remove the files named above")
        }
    }
}
