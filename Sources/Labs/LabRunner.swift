import Addressing
import Firewall
import Identity
import Netlink

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
/// already (so `up` twice is `up` once), records every object made in the lab's state file, removes all of
/// this run's objects again when a step fails, and on `down` removes exactly the recorded objects.
///
/// Every link a lab makes carries the alias `netctl-lab:<name>`; a recorded link that lost it is left alone.
/// Host sysctls are put back to the values they had. Works on the calling thread only (namespaces are
/// entered with `NetworkNamespace.run`).
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
        steps(topology, state: LabState(lab: topology.name, file: "")).map(\.what)
    }

    /// Makes everything `topology` declares exist, recording what it made under `file`'s name.
    ///
    /// - Throws: `LabError.stepFailed` after removing what this run made, `LabError.foreign` (the same,
    ///   wrapped) when a name the lab uses is taken by something that is not the lab's.
    public func up(_ topology: Topology, file: String, progress: (LabProgress) -> Void) throws {
        try store.locked { try bringUp(topology, file: file, progress: progress) }
    }

    private func bringUp(_ topology: Topology, file: String, progress: (LabProgress) -> Void) throws {
        var state = try store.load(topology.name) ?? LabState(lab: topology.name, file: file)
        state.file = file
        let recorded = state.objects
        let steps = steps(topology, state: state)
        var made: [LabObject] = []
        for (offset, step) in steps.enumerated() {
            let number = offset + 1
            do {
                if let objects = try step.run() {
                    made += objects
                    state.objects += objects
                    try store.save(state)
                    progress(LabProgress(step: number, total: steps.count, what: step.what, outcome: .created))
                } else {
                    progress(LabProgress(step: number, total: steps.count, what: step.what, outcome: .present))
                }
            } catch {
                progress(LabProgress(step: number, total: steps.count, what: step.what, outcome: .failed))
                let failures = remove(made, lab: topology.name) { object, outcome in
                    progress(LabProgress(step: number, total: steps.count, what: object.description, outcome: outcome == .removed ? .rolledBack : outcome))
                }
                state.objects = recorded + failures
                try store.save(state)
                if !failures.isEmpty { throw LabError.leftBehind(failures.map(\.description)) }
                throw LabError.stepFailed(step: "step \(number)/\(steps.count) (\(step.what))", problem: "\(error)", rolledBack: made.count)
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
        let total = state.objects.count
        var number = 0
        let failures = remove(state.objects, lab: lab) { object, outcome in
            number += 1
            progress(LabProgress(step: number, total: total, what: object.description, outcome: outcome))
        }
        state.objects = failures
        try store.save(state)
        if !failures.isEmpty { throw LabError.leftBehind(failures.map(\.description)) }
        return true
    }

    // MARK: - Steps

    private struct Step {
        let what: String
        /// The objects made, `nil` when everything was there already.
        let run: () throws -> [LabObject]?
    }

    private func steps(_ topology: Topology, state: LabState) -> [Step] {
        let lab = topology.name
        let tag = Self.tag(lab)
        func addresses(_ end: LinkEnd) -> String { end.addresses.isEmpty ? "" : " " + end.addresses.map(\.description).joined(separator: ",") }

        var steps: [Step] = topology.namespaces.map { name in
            Step(what: "namespace \(name)") { try self.ensureNamespace(name, state: state, lab: lab) }
        }
        steps += topology.bridges.map { bridge in
            Step(what: "bridge \(bridge.name) (\(Topology.shortPlace(bridge.namespace)))\(addresses(bridge))") {
                try self.ensureLink(bridge, also: [], state: state, lab: lab) { try self.links.createBridge(bridge, alias: tag) }
            }
        }
        steps += topology.veths.map { veth in
            Step(what: "veth \(veth.a.name) (\(Topology.shortPlace(veth.a.namespace)))\(addresses(veth.a)) <-> \(veth.b.name) (\(Topology.shortPlace(veth.b.namespace)))\(addresses(veth.b))") {
                try self.ensureLink(veth.a, also: [veth.b], state: state, lab: lab) { try self.links.createVeth(veth, alias: tag) }
            }
        }
        steps += topology.vxlans.map { vxlan in
            Step(what: "vxlan \(vxlan.link.name) (\(Topology.shortPlace(vxlan.link.namespace))) VNI \(vxlan.vni) to \(vxlan.remote.map(\.description) ?? "?")\(addresses(vxlan.link))") {
                try self.ensureLink(vxlan.link, also: [], state: state, lab: lab) { try self.links.createVxlan(vxlan, alias: tag) }
            }
        }
        steps += topology.routes.map { route in
            let via = route.via.map { " via \($0)" } ?? ""
            let dev = route.dev.map { " dev \($0)" } ?? ""
            return Step(what: "route \(route.to.prefixLength == 0 ? "default" : "\(route.to)")\(via)\(dev) (\(Topology.shortPlace(route.namespace)))") {
                try self.ensureRoute(route)
            }
        }
        steps += topology.sysctls.map { sysctl in
            Step(what: "sysctl \(sysctl.key)=\(sysctl.value) (\(Topology.shortPlace(sysctl.namespace)))") {
                try self.ensureSysctl(sysctl, state: state)
            }
        }
        if !topology.masquerade.isEmpty {
            steps.append(Step(what: "masquerade \(topology.masquerade.map(\.description).joined(separator: ", "))") {
                try self.ensureMasquerade(topology, state: state)
            })
        }
        return steps
    }

    private func ensureNamespace(_ name: NamespaceName, state: LabState, lab: LabName) throws -> [LabObject]? {
        if try NetworkNamespace.exists(named: name.rawValue) {
            guard state.objects.contains(.namespace(name)) else { throw LabError.foreign(what: "namespace \(name)", lab: lab) }
            return nil
        }
        _ = try NetworkNamespace.create(name: name.rawValue)
        do {
            try links.bringUpLoopback(name)
        } catch {
            links.forget(name)
            _ = try? NetworkNamespace.delete(name: name.rawValue)
            throw error
        }
        return [.namespace(name)]
    }

    /// Creates the link with `create` unless it exists with the lab's tag; then only adds missing addresses
    /// to it and to `also` (a veth's other end).
    private func ensureLink(_ end: LinkEnd, also others: [LinkEnd], state: LabState, lab: LabName,
                            create: () throws -> Void) throws -> [LabObject]? {
        if let link = try links.existing(end) {
            guard link.alias == Self.tag(lab) else {
                throw LabError.foreign(what: "link \(end.name) in \(Topology.place(end.namespace))", lab: lab)
            }
            var added = false
            for end in [end] + others where try links.ensureAddresses(end) { added = true }
            // Tagged but unrecorded (a lost state file): the tag says it is the lab's, so record it.
            let record: [LabObject] = state.objects.contains(.link(end)) ? [] : [.link(end)]
            return added || !record.isEmpty ? record : nil
        }
        try create()
        return [.link(end)]
    }

    private func ensureRoute(_ spec: RouteSpec) throws -> [LabObject]? {
        do {
            try links.socket(spec.namespace).addRoute(try kernelRoute(spec))
        } catch NetlinkError.exists {
            return nil
        }
        // Routes in a lab namespace go with it; only the host's need removing.
        return spec.namespace == nil ? [.route(spec)] : []
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

    private func ensureSysctl(_ spec: SysctlSpec, state: LabState) throws -> [LabObject]? {
        let current = try inside(spec.namespace) { try Sysctl.read(spec.key) }
        guard current != spec.value else { return nil }
        try inside(spec.namespace) { _ = try Sysctl.write(spec.key, spec.value) }
        // A lab namespace's settings go with it; the host's are put back by `down`. The first value seen is
        // the one to restore: a second `up` sees the lab's own.
        let recorded = state.objects.contains { $0.kind == .sysctl && $0.name == spec.key }
        return spec.namespace == nil && !recorded ? [.sysctl(spec.key, previous: current, value: spec.value)] : []
    }

    private func ensureMasquerade(_ topology: Topology, state: LabState) throws -> [LabObject]? {
        let addresses = topology.linkEnds.filter { $0.end.namespace != nil }.flatMap(\.end.addresses)
            .filter { address in topology.masquerade.contains { $0.contains(address.address) } }
        let entries = addresses.flatMap { [FirewallEntry.sameNetwork($0), .masquerade($0.address)] }
        let firewall = try Firewall()
        let owner = Self.firewallOwner(topology.name)
        if Set(try firewall.entries(of: owner)) == Set(entries) { return nil }
        try firewall.replace(owner, with: entries)
        return state.objects.contains(.masquerading) ? [] : [.masquerading]
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

    private func remove(_ object: LabObject, lab: LabName) throws -> LabProgress.Outcome {
        switch object.kind {
        case .namespace:
            guard let name = object.name.flatMap(NamespaceName.init) else { return .absent }
            links.forget(name)
            return try NetworkNamespace.delete(name: name.rawValue) ? .removed : .absent
        case .link:
            guard let name = object.name.flatMap(InterfaceName.init) else { return .absent }
            let socket: NetlinkSocket
            do {
                socket = try links.socket(object.namespace)
            } catch NetlinkError.namespaceNotFound {
                return .absent  // the namespace went, and its links with it
            }
            guard let link = try socket.link(named: name) else { return .absent }
            guard link.alias == Self.tag(lab) else { return .kept }
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
            if let value = object.value, try Sysctl.read(key) != value { return .kept }
            return try Sysctl.write(key, previous) ? .removed : .absent
        case .masquerade:
            let firewall = try Firewall()
            let removed = try firewall.remove(Self.firewallOwner(lab))
            try firewall.awaitRemovals()
            return removed.isEmpty ? .absent : .removed
        }
    }
}
