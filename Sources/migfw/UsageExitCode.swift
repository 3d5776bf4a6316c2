import ArgumentParser
import Engine
import Foundation

extension Migfw {
    /// Runs the command like ArgumentParser's default `main`, but gives invalid arguments the
    /// project's exit status instead of EX_USAGE (64): 2 ("invalid input") for every command,
    /// except `plan` and `reconcile`, where 2 means "changes pending" and an error is 1.
    static func main() {
        Console.prepareStandardDescriptors()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            Console.error(fullMessage(for: error))
            let subcommand = CommandLine.arguments.dropFirst().first { !$0.hasPrefix("-") }
            Foundation.exit(["plan", "reconcile"].contains(subcommand ?? "") ? 1 : 2)
        }
    }
}
