import ArgumentParser

// Placeholder until its issue lands.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "(not yet implemented)")
    func run() throws { throw ExitCode(1) }
}
