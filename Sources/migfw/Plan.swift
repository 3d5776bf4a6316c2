import ArgumentParser

// Placeholder until its issue lands.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "(not yet implemented)")
    func run() throws { throw ExitCode(1) }
}
