import ArgumentParser
import CNI

/// `netctl`: namespace labs, a CNI runner that does what libcni does, and inspection of what swift-cni
/// knows about a network.
///
/// Exit status: 0 when the command did what it was asked, 1 when it failed (the message says what to do
/// next), 2 when the command line itself was wrong.
@main
struct NetCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netctl",
        abstract: "Namespace labs, a CNI runner, and network inspection.",
        discussion: """
            Exit status: 0 on success, 1 when the operation failed, 2 on a usage error.
            """,
        version: "netctl \(SuiteVersion.tag) (swift-cni)",
        subcommands: [
            NetNSCommand.self,
            VethCommand.self,
            BridgeCommand.self,
            LabCommand.self,
            Add.self,
            Del.self,
            Check.self,
            GC.self,
            Status.self,
            Network.self,
            Leases.self,
            DNS.self,
            Doctor.self,
        ]
    )
}
