import CNI
import CNIClient
import Identity
import JSON
import POSIX

/// Runs a network configuration list against an attachment as libcni does, so that what a runtime
/// built with libcni (podman, cnitool) did, this can undo, and the other way round:
///
/// - ADD runs the plugins in order, each getting the previous result as `prevResult` in the list's
///   version, and caches the final result; a failed ADD is rolled back by a DEL of the plugins
///   that had run, in reverse order.
/// - DEL runs them in reverse order with the cached result (from 0.4.0 on) and removes the entry;
///   it needs neither the namespace nor the configuration file of the ADD.
/// - CHECK (0.4.0 on, unless `disableCheck`) runs them in order with the cached result.
/// - GC DELs every cached attachment of the network that is not valid, then (1.1.0 on, unless
///   `disableGC`) sends GC with `cni.dev/valid-attachments` to every plugin, going on after errors.
/// - STATUS (1.1.0 on) asks every plugin and stops at the first that is not ready.
public struct NetworkRunner: Sendable {
    /// Where plugins are looked up (`CNI_PATH`), in order.
    public var searchPath: [String]
    public var cache: ResultCache
    /// The environment plugins inherit besides the `CNI_*` variables; `nil` for this process's.
    public var inherited: [String: String]?

    public init(searchPath: [String], cache: ResultCache = ResultCache(), inherited: [String: String]? = nil) {
        self.searchPath = searchPath
        self.cache = cache
        self.inherited = inherited
    }

    // MARK: - Attachments

    /// What an ADD produced: the final result, and its text in the list's version, as it was cached.
    public struct Added: Sendable {
        public let result: CNIResult
        public let document: [UInt8]
    }

    /// ADD; the final result, which is also cached.
    public func add(_ list: NetworkConfigList, _ runtime: RuntimeConfig) throws -> Added {
        var result: CNIResult?
        for (index, plugin) in list.plugins.enumerated() {
            do {
                result = try Delegate.add(type: plugin.type, stdin: stdin(for: plugin, of: list, runtime, prevResult: result),
                                          environment: environment(runtime))
            } catch let error as CNIError {
                let rollback = rollBack(list.plugins[...index], of: list, runtime, prevResult: result)
                throw CNIError(error.code, "plugin \(describe(plugin, list)) failed (add): \(error.msg)",
                               details: [error.details, rollback].compactMap { $0 }.joined(separator: "; ").nilIfEmpty)
            }
        }
        let final = result ?? CNIResult()
        let document = try final.encoded(as: list.cniVersion)
        try cache.store(CachedAttachment(network: list.name, runtime: runtime, config: list.bytes, result: JSONParser.parse(document)))
        return Added(result: final, document: document)
    }

    /// DEL, with the cached result as `prevResult`; removes the cache entry once every plugin succeeded.
    public func del(_ list: NetworkConfigList, _ runtime: RuntimeConfig) throws {
        // An entry that cannot be read gives no prevResult, as in libcni: DEL must still run.
        let cached = list.cniVersion >= .v0_4_0 ? (try? cache.entry(network: list.name, attachment: runtime.attachment)) ?? nil : nil
        let prevResult = cached?.parsedResult
        for plugin in list.plugins.reversed() {
            do {
                try Delegate.del(type: plugin.type, stdin: stdin(for: plugin, of: list, runtime, prevResult: prevResult),
                                 environment: environment(runtime))
            } catch let error as CNIError {
                throw CNIError(error.code, "plugin \(describe(plugin, list)) failed (delete): \(error.msg)", details: error.details)
            }
        }
        try cache.remove(network: list.name, attachment: runtime.attachment)
    }

    /// CHECK, with the cached result as `prevResult`.
    public func check(_ list: NetworkConfigList, _ runtime: RuntimeConfig) throws {
        guard list.cniVersion.allows(.check) else {
            throw CNIError(.incompatibleVersion, "network \(list.name): configuration version \(list.cniVersion.rawValue) does not support the CHECK command",
                           details: "CHECK came in 0.4.0")
        }
        if list.disableCheck { return }
        guard let cached = try cache.entry(network: list.name, attachment: runtime.attachment) else {
            throw CNIError(.unknownContainer, "no cached result for \(runtime.containerID) \(runtime.interface) on network \(list.name)",
                           details: "\(cache.path(network: list.name, attachment: runtime.attachment)) is missing: was it added?")
        }
        for plugin in list.plugins {
            do {
                try Delegate.check(type: plugin.type,
                                   stdin: stdin(for: plugin, of: list, runtime, prevResult: cached.parsedResult),
                                   environment: environment(runtime))
            } catch let error as CNIError {
                throw CNIError(error.code, "plugin \(describe(plugin, list)) failed (check): \(error.msg)", details: error.details)
            }
        }
    }

    // MARK: - Networks

    /// What a GC did: the stale attachments it deleted, and every error it went on after.
    public struct GarbageCollection: Sendable {
        public var deleted: [Attachment] = []
        public var errors: [CNIError] = []
    }

    /// GC with `valid` as the attachments still in use.
    public func gc(_ list: NetworkConfigList, valid: Set<Attachment>) throws -> GarbageCollection {
        var outcome = GarbageCollection()
        for entry in try cache.entries(of: list.name) where !valid.contains(entry.runtime.attachment) {
            do {
                try del(list, entry.runtime)
                outcome.deleted.append(entry.runtime.attachment)
            } catch let error as CNIError {
                outcome.errors.append(CNIError(error.code, "failed to delete stale attachment \(entry.runtime.containerID) \(entry.runtime.interface): \(error.msg)",
                                               details: error.details))
            }
        }
        guard list.cniVersion.allows(.gc), !list.disableGC else { return outcome }
        let attachments = JSONValue.array(valid.sorted { ($0.containerID.rawValue, $0.interface.rawValue) < ($1.containerID.rawValue, $1.interface.rawValue) }.map {
            .object(["containerID": .string($0.containerID.rawValue), "ifname": .string($0.interface.rawValue)])
        })
        for plugin in list.plugins {
            guard case .object(var members) = plugin.object else { continue }
            // Both spellings: libcni's earlier releases wrote the second one.
            members["cni.dev/valid-attachments"] = attachments
            members["cni.dev/attachments"] = attachments
            do {
                try Delegate.gc(type: plugin.type,
                                stdin: PluginChain.stdin(for: .object(members), network: list.name, cniVersion: list.cniVersion, prevResult: nil),
                                environment: DelegateEnvironment(searchPath: searchPath, inherited: inherited))
            } catch let error as CNIError {
                outcome.errors.append(CNIError(error.code, "failed to GC plugin \(plugin.type): \(error.msg)", details: error.details))
            }
        }
        return outcome
    }

    /// STATUS; throws the first plugin's refusal. Lists before 1.1.0 have no STATUS: nothing is asked.
    public func status(_ list: NetworkConfigList) throws {
        guard list.cniVersion.allows(.status) else { return }
        for plugin in list.plugins {
            try Delegate.status(type: plugin.type,
                                stdin: PluginChain.stdin(for: plugin.object, network: list.name, cniVersion: list.cniVersion, prevResult: nil),
                                environment: DelegateEnvironment(searchPath: searchPath, inherited: inherited))
        }
    }

    // MARK: - Versions

    /// The versions the plugin `type` answers VERSION with.
    public func supportedVersions(of type: String) throws -> [String] {
        let path = try Delegate.executable(named: type, in: searchPath)
        let variables = DelegateEnvironment(searchPath: searchPath, inherited: inherited).variables(for: .version)
        let process: Subprocess
        do {
            process = try Subprocess.run(path, environment: variables, stdin: Array(#"{"cniVersion":"\#(CNIVersion.latest.rawValue)"}"#.utf8))
        } catch {
            throw CNIError(.internal, "\(type): cannot run \(path)", details: "\(error)")
        }
        guard process.termination == .exited(0), case .object(let members)? = try? JSONParser.parse(process.stdout),
              case .array(let versions)? = members["supportedVersions"] else {
            throw CNIError(.decodingFailure, "\(type): no version information from \(path)", details: "it \(process.termination)")
        }
        return versions.compactMap { if case .string(let text) = $0 { text } else { nil } }
    }

    /// The list with the highest version it offers that every plugin supports, asking each plugin
    /// (VERSION) only when the list offers more than one (`cniVersions`).
    public func negotiate(_ list: NetworkConfigList) throws -> NetworkConfigList {
        guard list.offeredVersions.count > 1 else { return list }
        var shared = Set(list.offeredVersions)
        for type in Set(list.plugins.map(\.type)) {
            let supported = Set(try supportedVersions(of: type).compactMap(CNIVersion.init(rawValue:)))
            shared.formIntersection(supported)
        }
        guard let chosen = shared.max() else {
            throw CNIError(.incompatibleVersion, "network \(list.name): no version of \(list.offeredVersions.map(\.rawValue).joined(separator: ", ")) is supported by every plugin",
                           details: "run `netctl network inspect \(list.name)` to see what each plugin supports")
        }
        var negotiated = list
        negotiated.cniVersion = chosen
        return negotiated
    }

    // MARK: - Requests

    /// The plugin's stdin (libcni's `buildOneConfig`): its object with the list's name and version,
    /// `prevResult`, and `runtimeConfig` holding the capability values it declares.
    func stdin(for plugin: NetworkConfigList.Plugin, of list: NetworkConfigList, _ runtime: RuntimeConfig,
               prevResult: CNIResult?) throws -> [UInt8] {
        var object = plugin.object
        let runtimeConfig = runtime.capabilityArgs.filter { plugin.capabilities.contains($0.key) }
        if !runtimeConfig.isEmpty, case .object(var members) = object {
            members["runtimeConfig"] = .object(runtimeConfig)
            object = .object(members)
        }
        return try PluginChain.stdin(for: object, network: list.name, cniVersion: list.cniVersion, prevResult: prevResult)
    }

    func environment(_ runtime: RuntimeConfig) -> DelegateEnvironment {
        var args: [String: String] = [:]
        for pair in runtime.args { args[pair.key] = pair.value }
        return DelegateEnvironment(containerID: runtime.containerID, netns: runtime.netns, interface: runtime.interface,
                                   args: CNIArgs(args), searchPath: searchPath, inherited: inherited)
    }

    /// DEL of the plugins that ran before ADD failed, in reverse order; what went wrong, if anything.
    private func rollBack(_ plugins: ArraySlice<NetworkConfigList.Plugin>, of list: NetworkConfigList, _ runtime: RuntimeConfig,
                          prevResult: CNIResult?) -> String? {
        var failures: [String] = []
        for plugin in plugins.reversed() {
            do {
                try Delegate.del(type: plugin.type, stdin: stdin(for: plugin, of: list, runtime, prevResult: prevResult),
                                 environment: environment(runtime))
            } catch {
                failures.append("rolling back \(plugin.type) failed: \(error)")
            }
        }
        return failures.isEmpty ? nil : failures.joined(separator: "; ")
    }

    private func describe(_ plugin: NetworkConfigList.Plugin, _ list: NetworkConfigList) -> String {
        "type=\"\(plugin.type)\" name=\"\(list.name)\""
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
