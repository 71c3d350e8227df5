import CNI
import Glibc
import Identity
import POSIX

/// libcni's result cache: one file per attachment, `<directory>/results/<network>-<containerID>-<ifname>`,
/// written after a successful ADD and removed after DEL. What lets DEL, CHECK and GC work from what
/// ADD did, whether the namespace or the configuration file are still there or not.
public struct ResultCache: Sendable {
    public static let defaultDirectory = "/var/lib/cni"
    static let fileLimit = 4 << 20

    public let directory: String

    public init(directory: String = Self.defaultDirectory) {
        self.directory = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
    }

    var resultsDirectory: String { directory + "/results" }

    /// The entry's file, named as libcni names it.
    public func path(network: NetworkName, attachment: Attachment) -> String {
        "\(resultsDirectory)/\(network)-\(attachment.containerID)-\(attachment.interface)"
    }

    /// The entry for the attachment; `nil` when there is none. An unreadable or foreign file is an error.
    public func entry(network: NetworkName, attachment: Attachment) throws -> CachedAttachment? {
        let file = path(network: network, attachment: attachment)
        let bytes: [UInt8]
        do {
            bytes = try RegularFile.contents(atPath: file, limit: Self.fileLimit)
        } catch {
            if case .system(let failure) = error.problem, failure.code == ENOENT { return nil }
            throw CNIError(.ioFailure, "cannot read the cached result", details: "\(error)")
        }
        do {
            return try CachedAttachment(parsing: bytes)
        } catch {
            throw CNIError(.decodingFailure, "the cached result \(file) is not a libcni cache entry", details: "\(error)")
        }
    }

    /// Writes the entry: to a temporary file first, renamed over the old one, so that a reader never
    /// sees half an entry. Mode 0600 in a 0700 directory, as libcni makes them.
    public func store(_ entry: CachedAttachment) throws {
        try makeDirectory(directory)
        try makeDirectory(resultsDirectory)
        let file = path(network: entry.network, attachment: entry.runtime.attachment)
        let temporary = file + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot write the cached result", temporary) }
        let written = ProcessIO.writeAll(descriptor, entry.encoded())
        close(descriptor)
        if let written {
            unlink(temporary)
            throw CNIError(.ioFailure, "cannot write the cached result \(temporary)", details: "\(written)")
        }
        guard rename(temporary, file) == 0 else {
            let error = failure("cannot write the cached result", file)
            unlink(temporary)
            throw error
        }
    }

    /// Removes the entry; `false` when there was none.
    @discardableResult
    public func remove(network: NetworkName, attachment: Attachment) throws -> Bool {
        let file = path(network: network, attachment: attachment)
        if unlink(file) == 0 { return true }
        if errno == ENOENT { return false }
        throw failure("cannot remove the cached result", file)
    }

    /// Every `cniCacheV1` entry, in file name order (libcni's `GetCachedAttachments`); files that are
    /// not entries are skipped, as libcni skips them.
    public func entries() throws -> [CachedAttachment] {
        guard let handle = opendir(resultsDirectory) else {
            if errno == ENOENT { return [] }
            throw failure("cannot read the result cache", resultsDirectory)
        }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if !name.hasPrefix("."), !name.contains(".tmp-") { names.append(name) }
        }
        closedir(handle)
        return names.sorted().compactMap { name in
            guard let bytes = try? RegularFile.contents(atPath: resultsDirectory + "/" + name, limit: Self.fileLimit) else { return nil }
            return try? CachedAttachment(parsing: bytes)
        }
    }

    /// The entries of one network.
    public func entries(of network: NetworkName) throws -> [CachedAttachment] {
        try entries().filter { $0.network == network }
    }

    private func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o700) != 0, errno != EEXIST { throw failure("cannot create the result cache directory", path) }
    }

    private func failure(_ what: String, _ path: String) -> CNIError {
        CNIError(.ioFailure, "\(what) \(path)", details: String(cString: strerror(errno)))
    }
}
