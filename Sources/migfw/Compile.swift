import ArgumentParser

// Placeholder until its issue lands.
struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compile", abstract: "(not yet implemented)")
    func run() throws { throw ExitCode(1) }
}
