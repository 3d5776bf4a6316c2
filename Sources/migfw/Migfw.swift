import ArgumentParser

/// migfw: locks a VM live-migration network down to trusted hosts and networks.
@main
struct Migfw: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "migfw",
        abstract: "Lock VM live-migration traffic down to trusted hosts and networks with nftables.",
        discussion: """
            migfw reads a policy (YAML), compiles its trusted prefixes to a minimal interval set, \
            and keeps the kernel's `table inet migfw` equal to it in atomic netlink transactions. \
            It never touches another table.
            """,
        version: version,
        subcommands: [
            Check.self, Aggregate.self, Compile.self, Plan.self, Apply.self, Confirm.self,
            Reconcile.self, Status.self, Delete.self, AuditCommand.self, Render.self, Profiles.self,
        ]
    )
}
