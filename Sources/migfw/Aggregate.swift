import ArgumentParser

// Placeholder until its issue lands.
struct Aggregate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "aggregate", abstract: "(not yet implemented)")
    func run() throws { throw ExitCode(1) }
}
