import CNI
import Glibc
import Identity
import POSIX

/// The network configurations of a directory (`/etc/cni/net.d`), read as libcni reads them: files
/// ending `.conflist`, then single-plugin `.conf` and `.json` files, each group in name order; the
/// first file naming a network is the one that counts.
public struct ConfigDirectory: Sendable {
    public static let defaultPath = "/etc/cni/net.d"
    /// Larger files are refused: a configuration is a few kilobytes.
    static let fileLimit = 1 << 20

    public let path: String

    public init(path: String = Self.defaultPath) {
        self.path = path
    }

    /// What reading the directory found: the lists that parsed, and the files that did not, with why.
    public struct Contents: Sendable {
        public var lists: [NetworkConfigList] = []
        public var failures: [(path: String, error: CNIError)] = []
    }

    /// Every configuration in the directory. A missing directory holds none.
    public func load() throws -> Contents {
        var contents = Contents()
        var seen: Set<NetworkName> = []
        for file in try files() {
            do {
                let bytes = try RegularFile.contents(atPath: file, limit: Self.fileLimit)
                let list = try NetworkConfigList(contentsOf: bytes, path: file)
                if seen.insert(list.name).inserted { contents.lists.append(list) }
            } catch let error as CNIError {
                contents.failures.append((file, error))
            } catch {
                contents.failures.append((file, CNIError(.ioFailure, "\(file): cannot read it", details: "\(error)")))
            }
        }
        return contents
    }

    /// The configuration of `network`. When it is not there, the error lists the files that could
    /// not be read, since the network may be in one of them.
    public func list(named network: String) throws -> NetworkConfigList {
        // Files are read only up to the first naming the network, as libcni reads them; the rest
        // only when it is not there, for the error.
        for file in try files() {
            if let bytes = try? RegularFile.contents(atPath: file, limit: Self.fileLimit),
               let list = try? NetworkConfigList(contentsOf: bytes, path: file), list.name.rawValue == network {
                return list
            }
        }
        let contents = try load()
        if contents.failures.isEmpty {
            let known = contents.lists.map(\.name.rawValue)
            throw CNIError(.invalidNetworkConfig, "no network \"\(network)\" in \(path)",
                           details: known.isEmpty ? "the directory holds no configuration (.conflist, .conf or .json)"
                               : "networks there: \(known.joined(separator: ", "))")
        }
        throw CNIError(.invalidNetworkConfig, "no network \"\(network)\" in \(path), and some files there could not be read",
                       details: contents.failures.map { "\($0.error)" }.joined(separator: "; "))
    }

    /// The configuration files in reading order.
    func files() throws -> [String] {
        guard let directory = opendir(path) else {
            if errno == ENOENT { return [] }
            throw CNIError(.ioFailure, "cannot read the configuration directory \(path)", details: String(cString: strerror(errno)))
        }
        defer { closedir(directory) }
        let base = path.hasSuffix("/") ? path : path + "/"
        var lists: [String] = []
        var singles: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            let isList = name.hasSuffix(".conflist")
            guard isList || name.hasSuffix(".conf") || name.hasSuffix(".json") else { continue }
            // The entry's type when the file system gives it; a link or an unknown type is looked up.
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_REG): break
            case Int32(DT_LNK), Int32(DT_UNKNOWN):
                var info = stat()
                guard stat(base + name, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            default: continue
            }
            if isList { lists.append(name) } else { singles.append(name) }
        }
        return (lists.sorted() + singles.sorted()).map { base + $0 }
    }
}
