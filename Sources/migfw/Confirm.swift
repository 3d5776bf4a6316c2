import ArgumentParser
import Engine
import Foundation

/// `migfw confirm`: keep the ruleset an `apply --confirm` is waiting on.
struct Confirm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "confirm",
        abstract: "Confirm a pending `apply --confirm`, so it keeps the new ruleset.",
        discussion: """
            Run it from a NEW session (a new SSH login proves the new ruleset does not lock \
            you out). Exit 0 confirmed, 1 no apply is waiting.
            """
    )

    @OptionGroup var namespace: NamespaceOptions
    @OptionGroup var state: StateOptions

    func run() throws {
        do {
            try Confirmation(stateDirectory: state.stateDirectory, namespace: namespace.netns).confirm()
        } catch {
            throw reportFailure(error, command: "confirm")
        }
        Console.say("confirmed: the waiting apply keeps the new ruleset\n")
    }
}
