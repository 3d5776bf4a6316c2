import ArgumentParser

// Placeholder until its issue lands.
struct Reconcile: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reconcile", abstract: "(not yet implemented)")
    func run() throws { throw ExitCode(1) }
}
