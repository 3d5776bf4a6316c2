import ArgumentParser

// Placeholder until its issue lands.
struct Confirm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "confirm", abstract: "(not yet implemented)")
    func run() throws { throw ExitCode(1) }
}
