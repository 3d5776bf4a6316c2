import ArgumentParser

// Placeholder until its issue lands.
struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "(not yet implemented)")
    func run() throws { throw ExitCode(1) }
}
