import ArgumentParser
import NetCtlKit

struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attach a namespace to a network, running the network's plugins as a runtime does.",
        discussion: """
            Runs the plugins of the configuration list in order, chaining each result into the next as \
            prevResult, and caches the final result in CACHE-DIR/results/<network>-<id>-<ifname> in libcni's \
            format (podman and cnitool read it). A failed ADD is rolled back by a DEL of the plugins that ran.

            Example:
              ip netns add demo
              netctl add mynet demo --cap portMappings='[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]'
            """)

    @OptionGroup var attachment: AttachmentOptions
    @OptionGroup var options: RunnerOptions
    @OptionGroup var output: JSONFlag

    func run() throws {
        try AttachmentOperation.add.run(attachment.arguments, options.paths, json: output.json)
    }
}

struct Del: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detach a namespace from a network, running the plugins in reverse order.",
        discussion: """
            Each plugin gets the cached ADD result as prevResult; the namespace may already be gone. When the \
            network's file has been removed or changed, the configuration cached at ADD time is used.

            Example:
              netctl del mynet demo
            """)

    @OptionGroup var attachment: AttachmentOptions
    @OptionGroup var options: RunnerOptions

    func run() throws {
        try AttachmentOperation.del.run(attachment.arguments, options.paths, json: false)
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask every plugin whether an attachment is still as ADD left it.",
        discussion: """
            Needs cniVersion 0.4.0 or later and the cached result of the ADD. Exit status 1 when a plugin \
            finds something wrong; the message names it.

            Example:
              netctl check mynet demo
            """)

    @OptionGroup var attachment: AttachmentOptions
    @OptionGroup var options: RunnerOptions

    func run() throws {
        try AttachmentOperation.check.run(attachment.arguments, options.paths, json: false)
    }
}

struct GC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove what a network holds for attachments that are gone.",
        discussion: """
            The valid attachments are the cached ones whose namespace still exists: every other cached \
            attachment of the network is deleted (DEL), then, from cniVersion 1.1.0 on, every plugin gets GC \
            with cni.dev/valid-attachments and removes what it holds for anything else.

            Example:
              netctl gc mynet
            """)

    @Argument(help: "The network's name.")
    var network: String

    @OptionGroup var options: RunnerOptions
    @OptionGroup var output: JSONFlag

    func run() throws {
        try NetworkOperation.gc.run(network: network, options.paths, json: output.json)
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask every plugin of a network whether it is ready for ADD.",
        discussion: """
            STATUS exists from cniVersion 1.1.0 on; older lists have nothing to ask and report ready.

            Example:
              netctl status mynet
            """)

    @Argument(help: "The network's name.")
    var network: String

    @OptionGroup var options: RunnerOptions

    func run() throws {
        try NetworkOperation.status.run(network: network, options.paths, json: false)
    }
}
