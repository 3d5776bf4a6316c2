import ArgumentParser

// Placeholder until its issue lands.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "(not yet implemented)")
    func run() throws { throw ExitCode(1) }
}
