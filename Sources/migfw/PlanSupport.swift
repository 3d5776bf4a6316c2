import ArgumentParser
import Engine
import Foundation
import Policy
import Prefix
import Ruleset

/// Options of the commands that keep or read migfw's own files (state, confirmation): apply,
/// plan, reconcile, confirm, status.
struct StateOptions: ParsableArguments {
    @Option(name: .customLong("state-dir"),
            help: "Where migfw keeps what it last applied (the fast path's evidence) and confirmation files.")
    var stateDirectory: String = ApplyState.defaultDirectory
}

/// The exclusive run lock's options.
struct LockOptions: ParsableArguments {
    @Option(name: .customLong("lock-file"), help: "The lock that keeps two migfw runs from interleaving.")
    var lockFile: String = RunLock.defaultPath

    @Option(name: .customLong("lock-timeout"),
            help: "Seconds to wait for another run to release the lock before giving up (exit 1).")
    var lockTimeout: Double = 60
}

/// Reads, validates and compiles the policy; on any problem prints it and exits with
/// `invalidExit` before the kernel is touched (fail closed: a broken policy never replaces
/// or weakens the loaded ruleset).
func desiredRuleset(config: String, command: String, invalidExit: ExitCode) throws -> (Policy, Table) {
    var phases = PhaseTimes()
    let desired = try desiredRuleset(config: config, command: command, invalidExit: invalidExit, phases: &phases)
    return (desired.policy, desired.table)
}

/// A read, validated and compiled policy.
struct DesiredRuleset {
    var policy: Policy
    /// The policy's trusted set (aggregated once: lints, the compiler and metrics share it).
    var trusted: AggregatedPrefixes
    var table: Table
}

/// ``desiredRuleset(config:command:invalidExit:)``, timing its phases (load, lint, compile).
func desiredRuleset(config: String, command: String, invalidExit: ExitCode,
                    phases: inout PhaseTimes) throws -> DesiredRuleset {
    let policy: Policy
    do {
        policy = try PolicyLoader.load(path: config)
    } catch {
        printError("\(error)")
        printError("migfw \(command): invalid policy; the kernel was not touched")
        throw invalidExit
    }
    phases.lap("policy load")
    let trusted = policy.trustedSet()
    phases.lap("aggregate")
    let errors = PolicyLinter.errors(policy, trustedSet: trusted)
    if !errors.isEmpty {
        for finding in errors { printError("\(finding)") }
        printError("migfw \(command): the policy has errors (see `migfw check`); the kernel was not touched")
        throw invalidExit
    }
    phases.lap("lint")
    let table = RulesetCompiler.compile(policy, trustedSet: trusted)
    phases.lap("compile")
    return DesiredRuleset(policy: policy, trusted: trusted, table: table)
}

/// The policy at `config`, read and free of lint errors, for the commands that only print
/// what it means (compile, render): anything wrong is printed and ends the run with exit 2,
/// saying `nothing` was done.
func lintedPolicy(config: String, command: String, nothing: String) throws -> Policy {
    let policy: Policy
    do {
        policy = try PolicyLoader.load(path: config)
    } catch {
        printError("\(error)")
        throw ExitCode.invalidInput
    }
    let errors = PolicyLinter.errors(policy)
    if !errors.isEmpty {
        for finding in errors { printError("\(finding)") }
        printError("migfw \(command): the policy has errors (see `migfw check`); \(nothing)")
        throw ExitCode.invalidInput
    }
    return policy
}

/// One line on standard error; never traps (``Console/error(_:)``).
func printError(_ line: String) {
    Console.error(line)
}

/// Colour on a terminal unless NO_COLOR is set (https://no-color.org).
var stdoutWantsColour: Bool {
    ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) ?? true ? isatty(1) == 1 : false
}

/// An engine or operation failure as one line of text (no prefix).
func errorText(_ error: Error) -> String {
    (error as? EngineError)?.description ?? "\(error)"
}
