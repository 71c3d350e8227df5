import JSON
import POSIX
#if canImport(Glibc)
import Glibc
#endif

/// What is up of one lab: the file it came from and every object it made, in the order made. Kept as
/// `<directory>/<lab>.json` (under /run, so a reboot, which removes the objects, removes the record too),
/// rewritten after every step, so a crash mid-`up` leaves a record `down` can finish from.
public struct LabState: Codable, Equatable, Sendable {
    public var lab: LabName
    /// The topology file, as given to `lab up`.
    public var file: String
    public var objects: [LabObject]

    public init(lab: LabName, file: String, objects: [LabObject] = []) {
        self.lab = lab
        self.file = file
        self.objects = objects
    }

    public func count(_ kind: LabObject.Kind) -> Int { objects.filter { $0.kind == kind }.count }
}

/// The directory of state files.
public struct LabStateStore: Sendable {
    public static let defaultDirectory = "/run/netctl/labs"
    public let directory: String

    public init(directory: String = LabStateStore.defaultDirectory) {
        self.directory = directory
    }

    func path(_ lab: LabName) -> String { "\(directory)/\(lab).json" }

    /// The lab's state, or `nil` when it is not up.
    public func load(_ lab: LabName) throws -> LabState? {
        do {
            return try JSONCodec.decode(LabState.self, from: RegularFile.contents(atPath: path(lab), limit: 1 << 22))
        } catch let error as FileReadError where error.problem == .system(Errno(ENOENT)) {
            return nil
        } catch let error as FileReadError {
            throw LabError.state(path: path(lab), problem: "\(error)")
        } catch {
            throw LabError.state(path: path(lab), problem: "unreadable (\(error)); remove it once the lab's objects are gone")
        }
    }

    /// Every lab that is up, by name.
    public func all() throws -> [LabState] {
        guard let listing = opendir(directory) else { return [] }
        defer { closedir(listing) }
        var names: [LabName] = []
        while let entry = readdir(listing) {
            let file = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if file.hasSuffix(".json"), let name = LabName(String(file.dropLast(5))) { names.append(name) }
        }
        return try names.sorted().compactMap { try load($0) }
    }

    /// Writes `state` (through a temporary file and a rename, so a reader never sees half of one), or
    /// removes the file when the lab has nothing left.
    func save(_ state: LabState) throws {
        let target = path(state.lab)
        guard !state.objects.isEmpty else {
            if unlink(target) != 0, errno != ENOENT { throw LabError.state(path: target, problem: "cannot remove: \(String(cString: strerror(errno)))") }
            return
        }
        try makeDirectory()
        let bytes = try JSONCodec.encode(state) + [0x0a]
        let temporary = "\(target).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw LabError.state(path: temporary, problem: String(cString: strerror(errno))) }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == bytes.count, rename(temporary, target) == 0 else {
            unlink(temporary)
            throw LabError.state(path: target, problem: "cannot write: \(String(cString: strerror(errno)))")
        }
    }

    /// Runs `body` holding the directory's lock, so two `up`s or `down`s of labs never interleave their
    /// steps or their state files. The lock file is the directory's one non-lab file.
    public func locked<T>(_ body: () throws -> T) throws -> T {
        try makeDirectory()
        let path = "\(directory)/.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw LabError.state(path: path, problem: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw LabError.state(path: path, problem: "cannot lock: \(String(cString: strerror(errno)))") }
        }
        return try body()
    }

    private func makeDirectory() throws {
        var prefix = ""
        for component in directory.split(separator: "/") {
            prefix += "/\(component)"
            if mkdir(prefix, 0o755) != 0, errno != EEXIST {
                throw LabError.state(path: prefix, problem: "cannot create: \(String(cString: strerror(errno)))")
            }
        }
    }
}
