import Addressing
import Identity

/// The `CNI_*` environment variables of one invocation, validated for its command (SPEC.md §2).
///
/// Which variables a command needs: ADD and CHECK need CNI_CONTAINERID, CNI_NETNS and CNI_IFNAME;
/// DEL needs CNI_CONTAINERID and CNI_IFNAME; GC, STATUS and VERSION need none. An unset or empty
/// required variable is code 4, listed together as libcni's skel does, with one exception: a
/// CNI_CONTAINERID that is set but empty is code 3 (the spec's "container unknown"). CNI_PATH is
/// optional for every command (skel insists on it, the spec does not), and CNI_ARGS always is; it
/// is read for ADD, DEL and CHECK only (a malformed pair is code 4), as are CNI_NETNS and the rest.
public struct CNIEnvironment: Sendable, Equatable {
    public let command: CNICommand
    /// CNI_CONTAINERID and CNI_IFNAME; `nil` exactly for GC, STATUS and VERSION.
    public let attachment: Attachment?
    /// CNI_NETNS, unchecked on disk; always set for ADD and CHECK, `nil` when DEL got none (or an
    /// empty one) and for the other commands.
    public let netns: String?
    /// CNI_ARGS, parsed; empty for GC, STATUS and VERSION.
    public let args: CNIArgs
    /// CNI_PATH split on `:`, empty entries dropped.
    public let searchPath: [String]
    /// CNI_NETNS_OVERRIDE is `1` or `true` (any case): libcni's switch to skip the own-netns check.
    public let netnsOverride: Bool

    /// Validates `variables` (usually the whole process environment) and throws the `CNIError`
    /// the spec prescribes for the first problem.
    public init(_ variables: [String: String]) throws {
        let commandText = variables["CNI_COMMAND"] ?? ""
        guard !commandText.isEmpty else {
            throw CNIError(.invalidEnvironment, "required env variables [CNI_COMMAND] missing")
        }
        guard let command = CNICommand(rawValue: commandText) else {
            throw CNIError(.invalidEnvironment, "unknown CNI_COMMAND: \(commandText)")
        }
        self.command = command

        let required = command.requiredVariables
        let missing = required.filter { name in
            guard let value = variables[name] else { return true }
            // A set-but-empty container ID is reported below with its own code.
            return value.isEmpty && name != "CNI_CONTAINERID"
        }
        guard missing.isEmpty else {
            throw CNIError(.invalidEnvironment,
                           "required env variables [\(missing.joined(separator: ","))] missing")
        }

        if required.contains("CNI_CONTAINERID") {
            let id = try Self.containerID(variables["CNI_CONTAINERID"]!)
            let interface = try Self.interfaceName(variables["CNI_IFNAME"]!)
            attachment = Attachment(containerID: id, interface: interface)
        } else {
            attachment = nil
        }
        if command.carriesAttachment {
            netns = variables["CNI_NETNS"].flatMap { $0.isEmpty ? nil : $0 }
            args = try variables["CNI_ARGS"].map(CNIArgs.init(parsing:)) ?? CNIArgs()
        } else {
            netns = nil
            args = CNIArgs()
        }
        searchPath = (variables["CNI_PATH"] ?? "").unicodeScalars.split(separator: ":").map(String.init)
        netnsOverride = variables["CNI_NETNS_OVERRIDE"].map { $0 == "1" || $0.lowercased() == "true" } ?? false
    }

    private static func containerID(_ text: String) throws -> ContainerID {
        guard !text.isEmpty else { throw CNIError(.unknownContainer, "CNI_CONTAINERID is empty") }
        guard let id = ContainerID(text) else {
            throw CNIError(.invalidEnvironment, "invalid CNI_CONTAINERID \"\(text)\"",
                           details: "a container ID \(ContainerID.problem(with: text) ?? "is invalid")")
        }
        return id
    }

    private static func interfaceName(_ text: String) throws -> InterfaceName {
        guard let name = InterfaceName(text) else {
            throw CNIError(.invalidEnvironment,
                           "invalid CNI_IFNAME \"\(text)\": \(InterfaceName.problem(with: text) ?? "invalid")")
        }
        return name
    }
}

extension CNICommand {
    /// Whether the command acts on one attachment (and so reads CNI_CONTAINERID, CNI_IFNAME, CNI_NETNS).
    public var carriesAttachment: Bool { self == .add || self == .del || self == .check }

    /// The variables that must be set (and, except for a container ID, non-empty), in skel's order.
    var requiredVariables: [String] {
        switch self {
        case .add, .check: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"]
        case .del: ["CNI_CONTAINERID", "CNI_IFNAME"]
        case .gc, .status, .version: []
        }
    }

    /// The lowest config version the command exists in.
    public var minimumVersion: CNIVersion {
        switch self {
        case .check: .v0_4_0
        case .gc, .status: .v1_1_0
        case .add, .del, .version: .v0_3_0
        }
    }
}
