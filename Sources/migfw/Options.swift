import ArgumentParser
import Engine

/// The policy file option shared by every subcommand that reads one.
struct ConfigOptions: ParsableArguments {
    @Option(name: [.customShort("c"), .customLong("config")], help: "The policy file.",
            completion: .file(extensions: ["yaml", "yml"]))
    var config: String = "/etc/migfw/migfw.yaml"
}

/// The network namespace option shared by every subcommand that touches the kernel.
struct NamespaceOptions: ParsableArguments {
    @Option(name: .customLong("netns"),
            help: "Work inside the network namespace /run/netns/NAME instead of the current one.")
    var netns: String?
}

extension Verification: ExpressibleByArgument {}
