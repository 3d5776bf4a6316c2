import ArgumentParser

// Placeholder until its issue lands.
struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "apply", abstract: "(not yet implemented)")
    func run() throws { throw ExitCode(1) }
}
