import Addressing
import Firewall
import Identity
import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// What `up` and `down` report as they go: one line per step.
public struct LabProgress: Sendable {
    public enum Outcome: String, Sendable {
        case created = "done"
        case present = "already there"
        case removed = "removed"
        case absent = "already gone"
        /// A recorded link that no longer carries the lab's alias, or a host sysctl changed from the lab's value
        /// since: someone else's now.
        case kept = "kept: changed since, no longer the lab's"
        case failed = "FAILED"
        case rolledBack = "rolled back"
    }

    public let step: Int
    public let total: Int
    public let what: String
    public let outcome: Outcome
}

/// Brings labs up and down: applies a topology's steps in order, each one made true only if it is not
/// already (so `up` twice is `up` once), records every object in the lab's state file before making it
/// (see `LabJournal`), removes all of this run's objects again when a step fails, and on `down` removes
/// exactly the recorded objects that are still the lab's.
///
/// Every link a lab makes carries the alias `netctl-lab:<name>`, and so does the `lo` of every namespace
/// it makes, from the moment the name exists; a recorded object that lacks it is left alone. Host sysctls
/// are put back to the values they had. Works on the calling thread only (namespaces are entered with
/// `NetworkNamespace.run`).
public final class LabRunner {
    public let store: LabStateStore
    private let links = LinkBuilder()

    public init(store: LabStateStore = LabStateStore()) {
        self.store = store
    }

    /// The alias every link of `lab` carries.
    public static func tag(_ lab: LabName) -> String { "netctl-lab:\(lab)" }

    /// The steps of `topology`, as `up` would run them, for display.
    public func plan(_ topology: Topology) -> [String] {
        steps(topology).map(\.what)
    }

    /// Makes everything `topology` declares exist, recording what it made under `file`'s name. Objects a
    /// killed `up` left intended are removed first, and made again by their step.
    ///
    /// - Throws: `LabError.stepFailed` after removing what this run made, `LabError.foreign` (the same,
    ///   wrapped) when a name the lab uses is taken by something that is not the lab's.
    public func up(_ topology: Topology, file: String, progress: (LabProgress) -> Void) throws {
        try store.locked { try bringUp(topology, file: file, progress: progress) }
    }

    private func bringUp(_ topology: Topology, file: String, progress: (LabProgress) -> Void) throws {
        var state = try store.load(topology.name) ?? LabState(lab: topology.name, file: file)
        state.file = file
        let unfinished = state.objects.filter(\.isIntended)
        if !unfinished.isEmpty {
            let failures = removeCounting(unfinished, lab: topology.name, progress: progress) { "\($0), left unfinished" }
            state.objects = state.objects.filter { !$0.isIntended } + failures
            try store.save(state)
            if !failures.isEmpty { throw LabError.leftBehind(failures.map(\.description)) }
        }
        let journal = LabJournal(state, store: store)
        let steps = steps(topology)
        for (offset, step) in steps.enumerated() {
            let number = offset + 1
            do {
                let outcome: LabProgress.Outcome = try step.run(journal) ? .created : .present
                progress(LabProgress(step: number, total: steps.count, what: step.what, outcome: outcome))
            } catch {
                progress(LabProgress(step: number, total: steps.count, what: step.what, outcome: .failed))
                let made = journal.thisRun
                let failures = remove(made, lab: topology.name) { object, outcome in
                    progress(LabProgress(step: number, total: steps.count, what: object.description, outcome: outcome == .removed ? .rolledBack : outcome))
                }
                try journal.rollBack(leaving: failures)
                if !failures.isEmpty { throw LabError.leftBehind(failures.map(\.description)) }
                throw LabError.stepFailed(step: "step \(number)/\(steps.count) (\(step.what))", problem: "\(error)",
                                          rolledBack: made.filter { !$0.isIntended }.count)
            }
        }
    }

    /// Removes every object the lab's state file records, newest first.
    ///
    /// - Returns: `false` if the lab was not up (which is not an error).
    /// - Throws: `LabError.leftBehind` naming what could not be removed, which stays recorded.
    @discardableResult
    public func down(_ lab: LabName, progress: (LabProgress) -> Void) throws -> Bool {
        try store.locked { try takeDown(lab, progress: progress) }
    }

    private func takeDown(_ lab: LabName, progress: (LabProgress) -> Void) throws -> Bool {
        guard var state = try store.load(lab) else { return false }
        let failures = removeCounting(state.objects, lab: lab, progress: progress) { $0.description }
        state.objects = failures
        try store.save(state)
        if !failures.isEmpty { throw LabError.leftBehind(failures.map(\.description)) }
        return true
    }

    // MARK: - Steps

    private struct Step {
        let what: String
        /// Records in the journal what it makes before making it; `false` when everything was there already.
        let run: (LabJournal) throws -> Bool
    }

    private func steps(_ topology: Topology) -> [Step] {
        let lab = topology.name
        let tag = Self.tag(lab)
        func addresses(_ end: LinkEnd) -> String { end.addresses.isEmpty ? "" : " " + end.addresses.map(\.description).joined(separator: ",") }

        var steps: [Step] = topology.namespaces.map { name in
            Step(what: "namespace \(name)") { try self.ensureNamespace(name, lab: lab, journal: $0) }
        }
        steps += topology.bridges.map { bridge in
            Step(what: "bridge \(bridge.name) (\(Topology.shortPlace(bridge.namespace)))\(addresses(bridge))") {
                try self.ensureLink(bridge, also: [], lab: lab, journal: $0) { try self.links.createBridge(bridge, alias: tag, staging: $0) }
            }
        }
        steps += topology.veths.map { veth in
            Step(what: "veth \(veth.a.name) (\(Topology.shortPlace(veth.a.namespace)))\(addresses(veth.a)) <-> \(veth.b.name) (\(Topology.shortPlace(veth.b.namespace)))\(addresses(veth.b))") {
                try self.ensureLink(veth.a, also: [veth.b], lab: lab, journal: $0) { try self.links.createVeth(veth, alias: tag, staging: $0) }
            }
        }
        steps += topology.vxlans.map { vxlan in
            Step(what: "vxlan \(vxlan.link.name) (\(Topology.shortPlace(vxlan.link.namespace))) VNI \(vxlan.vni) to \(vxlan.remote.map(\.description) ?? "?")\(addresses(vxlan.link))") {
                try self.ensureLink(vxlan.link, also: [], lab: lab, journal: $0) { try self.links.createVxlan(vxlan, alias: tag, staging: $0) }
            }
        }
        steps += topology.routes.map { route in
            let via = route.via.map { " via \($0)" } ?? ""
            let dev = route.dev.map { " dev \($0)" } ?? ""
            return Step(what: "route \(route.to.prefixLength == 0 ? "default" : "\(route.to)")\(via)\(dev) (\(Topology.shortPlace(route.namespace)))") {
                try self.ensureRoute(route, journal: $0)
            }
        }
        steps += topology.sysctls.map { sysctl in
            Step(what: "sysctl \(sysctl.key)=\(sysctl.value) (\(Topology.shortPlace(sysctl.namespace)))") {
                try self.ensureSysctl(sysctl, journal: $0)
            }
        }
        if !topology.masquerade.isEmpty {
            steps.append(Step(what: "masquerade \(topology.masquerade.map(\.description).joined(separator: ", "))") {
                try self.ensureMasquerade(topology, journal: $0)
            })
        }
        return steps
    }

    /// Makes the namespace with its `lo` up and tagged before it is pinned under its name.
    private func ensureNamespace(_ name: NamespaceName, lab: LabName, journal: LabJournal) throws -> Bool {
        let object = LabObject.namespace(name)
        if try NetworkNamespace.exists(named: name.rawValue) {
            guard try isTagged(name, lab: lab) else { throw LabError.foreign(what: "namespace \(name)", lab: lab) }
            // Tagged but unrecorded (a lost state file): the tag says it is the lab's, so record it.
            if journal.contains(object) { return false }
            try journal.adopt(object)
            return true
        }
        try journal.intend(object)
        let tag = Self.tag(lab)
        do {
            _ = try NetworkNamespace.create(name: name.rawValue) {
                let socket = try NetlinkSocket()
                guard let loopback = try socket.link(named: Self.loopback) else { throw NetlinkError.notFound("lo in namespace \(name)") }
                try socket.setAlias(index: loopback.index, tag)
                try socket.setUp(index: loopback.index)
            }
        } catch NetlinkError.exists {
            throw LabError.foreign(what: "namespace \(name)", lab: lab)
        }
        try journal.made(object)
        return true
    }

    private static let loopback = InterfaceName("lo")!

    /// Whether the namespace pinned as `name` has the lab's tag on its `lo`; `false` for anything else
    /// there, a namespace or not.
    private func isTagged(_ name: NamespaceName, lab: LabName) throws -> Bool {
        do {
            return try links.socket(name).link(named: Self.loopback)?.alias == Self.tag(lab)
        } catch NetlinkError.notANetworkNamespace {
            links.forget(name)
            return false
        }
    }

    /// Creates the link with `create` (given a staging name) unless it exists with the lab's tag; then
    /// only adds missing addresses to it and to `also` (a veth's other end).
    private func ensureLink(_ end: LinkEnd, also others: [LinkEnd], lab: LabName, journal: LabJournal,
                            create: (InterfaceName) throws -> Void) throws -> Bool {
        if let link = try links.existing(end) {
            guard link.alias == Self.tag(lab) else {
                throw LabError.foreign(what: "link \(end.name) in \(Topology.place(end.namespace))", lab: lab)
            }
            var added = false
            for end in [end] + others where try links.ensureAddresses(end) { added = true }
            // Tagged but unrecorded (a lost state file): the tag says it is the lab's, so record it.
            guard !journal.contains(.link(end)) else { return added }
            try journal.adopt(.link(end))
            return true
        }
        let staging = Self.stagingName()
        let object = LabObject.link(end, staging: staging)
        try journal.intend(object)
        do {
            try create(staging)
        } catch NetlinkError.exists {
            throw LabError.foreign(what: "link \(end.name) in \(Topology.place(end.namespace)), or its veth peer,", lab: lab)
        }
        try journal.made(object)
        return true
    }

    /// A name no one else uses: `nclab` and 10 random hex digits (15 bytes, the kernel's longest).
    static func stagingName() -> InterfaceName {
        let digits = Array("0123456789abcdef")
        let random = UInt64.random(in: 0..<(1 << 40))
        return InterfaceName("nclab" + String((0..<10).map { digits[Int((random >> (36 - 4 * UInt64($0))) & 0xf)] }))!
    }

    /// A host route is recorded as intended before it is added. Routes carry no tag, so `down` removes a
    /// recorded route whoever made it; one that was there before `up` is never recorded.
    private func ensureRoute(_ spec: RouteSpec, journal: LabJournal) throws -> Bool {
        // Routes in a lab namespace go with it; only the host's need removing.
        let object = LabObject.route(spec)
        let recorded = spec.namespace != nil || journal.contains(object)
        if !recorded { try journal.intend(object) }
        do {
            try links.socket(spec.namespace).addRoute(try kernelRoute(spec))
        } catch NetlinkError.exists {
            // Someone's already, or the lab's from an earlier run; only ours may stay recorded.
            if !recorded { try journal.abandon(object) }
            return false
        }
        if !recorded { try journal.made(object) }
        return true
    }

    private func kernelRoute(_ spec: RouteSpec) throws -> Route {
        let socket = try links.socket(spec.namespace)
        let index = try spec.dev.map { name in
            guard let link = try socket.link(named: name) else {
                throw NetlinkError.notFound("link \(name) in \(Topology.place(spec.namespace))")
            }
            return link.index
        }
        return Route(destination: spec.to, gateway: spec.via, outputIndex: index)
    }

    private func ensureSysctl(_ spec: SysctlSpec, journal: LabJournal) throws -> Bool {
        let current = try inside(spec.namespace) { try Sysctl.read(spec.key) }
        guard current != spec.value else { return false }
        // A lab namespace's settings go with it; the host's are put back by `down`. The first value seen is
        // the one to restore: a second `up` sees the lab's own.
        let object = LabObject.sysctl(spec.key, previous: current, value: spec.value)
        let record = spec.namespace == nil && !journal.contains(object)
        if record { try journal.intend(object) }
        try inside(spec.namespace) { _ = try Sysctl.write(spec.key, spec.value) }
        if record { try journal.made(object) }
        return true
    }

    private func ensureMasquerade(_ topology: Topology, journal: LabJournal) throws -> Bool {
        let addresses = topology.linkEnds.filter { $0.end.namespace != nil }.flatMap(\.end.addresses)
            .filter { address in topology.masquerade.contains { $0.contains(address.address) } }
        let entries = addresses.flatMap { [FirewallEntry.sameNetwork($0), .masquerade($0.address)] }
        let firewall = try Firewall()
        let owner = Self.firewallOwner(topology.name)
        if Set(try firewall.entries(of: owner)) == Set(entries) { return false }
        let record = !journal.contains(.masquerading)
        if record { try journal.intend(.masquerading) }
        try firewall.replace(owner, with: entries)
        if record { try journal.made(.masquerading) }
        return true
    }

    /// The firewall owner of a lab's masquerading: the lab as the network, "masquerade" as the container.
    static func firewallOwner(_ lab: LabName) -> FirewallOwner {
        FirewallOwner(role: FirewallOwner.Role(rawValue: "lab")!,
                      attachment: AttachmentID(network: NetworkName(lab.rawValue)!, containerID: ContainerID("masquerade")!,
                                               interface: InterfaceName("nat")!))
    }

    private func inside<T>(_ namespace: NamespaceName?, _ body: () throws -> T) throws -> T {
        guard let namespace else { return try body() }
        return try links.namespace(namespace).run(body)
    }

    // MARK: - Removal

    /// Removes `objects` as `remove` does, with a progress line each, numbered in the order removed.
    private func removeCounting(_ objects: [LabObject], lab: LabName, progress: (LabProgress) -> Void,
                                what: (LabObject) -> String) -> [LabObject] {
        var number = 0
        return remove(objects, lab: lab) { object, outcome in
            number += 1
            progress(LabProgress(step: number, total: objects.count, what: what(object), outcome: outcome))
        }
    }

    /// Removes `objects`, newest first, reporting each; returns those that could not be removed (oldest first).
    private func remove(_ objects: [LabObject], lab: LabName, report: (LabObject, LabProgress.Outcome) -> Void) -> [LabObject] {
        var failures: [LabObject] = []
        for object in objects.reversed() {
            do {
                report(object, try remove(object, lab: lab))
            } catch {
                report(object, .failed)
                failures.insert(object, at: 0)
            }
        }
        return failures
    }

    /// Removes one object if it is still the lab's. An intended object that is not there, or whose name
    /// belongs to something untagged, was never made: `absent`.
    private func remove(_ object: LabObject, lab: LabName) throws -> LabProgress.Outcome {
        let notOurs: LabProgress.Outcome = object.isIntended ? .absent : .kept
        switch object.kind {
        case .namespace:
            guard let name = object.name.flatMap(NamespaceName.init) else { return .absent }
            guard try NetworkNamespace.exists(named: name.rawValue) else { return .absent }
            if try !isTagged(name, lab: lab) {
                // What a creation killed before pinning leaves: an empty placeholder, no namespace, nothing
                // of anyone's to lose. Anyone else's namespace is pinned there, and kept.
                guard object.isIntended, try isPlaceholder(name) else { return notOurs }
            }
            links.forget(name)
            return try NetworkNamespace.delete(name: name.rawValue) ? .removed : .absent
        case .link:
            guard let name = object.name.flatMap(InterfaceName.init) else { return .absent }
            let socket: NetlinkSocket
            do {
                socket = try links.socket(object.namespace)
            } catch NetlinkError.namespaceNotFound {
                return .absent  // the namespace went, and its links with it
            } catch NetlinkError.notANetworkNamespace {
                return .absent
            }
            // The staging name is the lab's alone: whatever has it is a link of ours not finished.
            if let staging = object.staging.flatMap(InterfaceName.init), let link = try socket.link(named: staging) {
                return try socket.deleteLink(index: link.index) ? .removed : .absent
            }
            guard let link = try socket.link(named: name) else { return .absent }
            guard link.alias == Self.tag(lab) else { return notOurs }
            return try socket.deleteLink(index: link.index) ? .removed : .absent
        case .route:
            guard let spec = object.route else { return .absent }
            do {
                return try links.socket(spec.namespace).deleteRoute(try kernelRoute(spec)) ? .removed : .absent
            } catch NetlinkError.notFound {
                return .absent
            }
        case .sysctl:
            guard let key = object.name, let previous = object.previous else { return .absent }
            if let value = object.value, try Sysctl.read(key) != value { return notOurs }
            return try Sysctl.write(key, previous) ? .removed : .absent
        case .masquerade:
            let firewall = try Firewall()
            let removed = try firewall.remove(Self.firewallOwner(lab))
            try firewall.awaitRemovals()
            return removed.isEmpty ? .absent : .removed
        }
    }

    /// Whether `/run/netns/<name>` is an empty regular file with nothing mounted on it.
    private func isPlaceholder(_ name: NamespaceName) throws -> Bool {
        var file = stat(), directory = stat()
        guard stat("\(NetworkNamespace.namedDirectory)/\(name)", &file) == 0, stat(NetworkNamespace.namedDirectory, &directory) == 0 else {
            return false
        }
        return file.st_mode & S_IFMT == S_IFREG && file.st_size == 0 && file.st_dev == directory.st_dev
    }
}
