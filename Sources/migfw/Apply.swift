import ArgumentParser
import Engine
import Foundation
import Plan
import Policy
import Ruleset

/// `migfw apply`: make the kernel hold the policy's ruleset, changing only what differs.
struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Load the policy's ruleset into the kernel (table inet migfw) atomically.",
        discussion: """
            Plans against what the kernel holds (as `migfw plan` shows) and commits only the \
            difference in ONE netlink transaction (all or nothing): an element-only change \
            is sent as element deltas, never as a table rebuild. The batch carries the \
            ruleset generation id read with the plan; if anything changed in between, the \
            kernel rejects it and migfw reads, plans and tries again (at most 5 times). \
            Prints what it changed. No other table is touched. Needs CAP_NET_ADMIN.

            When there is no table yet, and with --rebuild, the table is created whole \
            (delete + create in one transaction) and verified by a complete read-back \
            unless --no-verify.

            --confirm SECONDS: after applying, wait for `migfw confirm` (from another \
            session) or Enter on this terminal; without it in time, the previous ruleset (or \
            no table, if there was none) is restored and apply exits 1 (like iptables-apply). \
            The same happens on any failure after the commit, on SIGINT or SIGTERM while \
            waiting, and when the terminal goes away (SIGHUP is ignored meanwhile; a hang-up \
            or end of input is never a confirmation).

            Exit 0 applied (or nothing to do), 2 invalid policy or arguments (nothing \
            applied), 1 kernel error, missing privileges, or not confirmed (rolled back).
            """
    )

    @OptionGroup var config: ConfigOptions
    @OptionGroup var namespace: NamespaceOptions
    @OptionGroup var lock: LockOptions
    @OptionGroup var state: StateOptions

    @Option(name: .long, help: "Roll back unless confirmed within SECONDS (`migfw confirm` or Enter).")
    var confirm: Double?

    @Flag(name: .long, help: "List every element instead of folding long lists to a count.")
    var verbose = false

    @Flag(name: .long, help: "Replace the whole table (delete + create, one transaction) instead of applying the plan.")
    var rebuild = false

    @Flag(help: "Apply even when, in dedicated mode, the migration NIC carries the default route or this SSH session.")
    var force = false

    @Flag(name: .customLong("allow-missing-interface"),
          help: "Load the rules even when the policy's interface does not exist yet (the boot unit: a VLAN, bond or bridge NIC may come later); warns instead of refusing.")
    var allowMissingInterface = false

    @Flag(help: "Skip reading back after the commit (plan-based: chains and set definitions; --rebuild: everything, slow for large sets).")
    var noVerify = false

    func validate() throws {
        if let confirm, !(confirm >= Self.shortestConfirmWait && confirm <= Self.longestConfirmWait) {
            throw ValidationError("--confirm needs a number of seconds from \(Self.shortestConfirmWait) to "
                                  + "\(Int(Self.longestConfirmWait)) (a day)")
        }
    }

    @Flag(help: "Print where the time went, phase by phase (policy load, lint, compile, snapshot, plan, commit, verify).")
    var timings = false

    func run() throws {
        let clock = ContinuousClock()
        var phases = PhaseTimes()
        let compiled = try desiredRuleset(config: config.config, command: "apply", invalidExit: .invalidInput, phases: &phases)
        let (policy, desired) = (compiled.policy, compiled.table)
        let timing = ApplyTiming(clock: clock, policyPhases: phases, prepared: clock.now)
        let interfaceMissing = try checkInterface(policy)
        let held: RunLock
        do { held = try RunLock.acquire(path: lock.lockFile, timeout: lock.lockTimeout) } catch {
            throw reportFailure(error, command: "apply")
        }
        defer { withExtendedLifetime(held) {} }
        defer {
            if interfaceMissing {
                printError("migfw apply: WARNING: interface \"\(policy.interface.value)\" does not exist in \(place) yet: "
                           + "the rules match it by name and take effect when it appears; plan, reconcile and "
                           + "status report it until then")
            }
        }
        let applier: PlannedApplier
        do {
            applier = try PlannedApplier(namespace: namespace.netns, stateDirectory: state.stateDirectory,
                                         family: desired.family)
        } catch {
            throw reportFailure(error, command: "apply")
        }
        if let seconds = confirm {
            return try applyWithConfirmation(desired, seconds: seconds, applier: applier, timing: timing)
        }
        // Applied deliberately (its batch went out, whatever came after): reconcile may
        // change the kernel again (see RolledBackPolicy).
        defer { if applier.batchesSent > 0 { RolledBackPolicy.forget(path: rolledBackPath) } }
        do { try commit(desired, applier: applier, timing: timing) } catch {
            throw reportFailure(error, command: "apply")
        }
        // The kernel now holds what a person chose: a killed `apply --confirm`'s pending
        // file no longer describes it.
        if let pid = Confirmation(stateDirectory: state.stateDirectory, namespace: namespace.netns).clearAbandoned() {
            say("cleared the pending confirmation of an `apply --confirm` that ended unconfirmed (process \(pid))")
        }
    }

    /// Where this run applies, for messages.
    private var place: String { namespace.netns.map { "network namespace \($0)" } ?? "this network namespace" }

    /// Refuses a missing interface (exit 2) unless --allow-missing-interface, and a NIC
    /// whose filtering could lock this session out unless --force. Returns whether the
    /// interface is missing (allowed).
    private func checkInterface(_ policy: Policy) throws -> Bool {
        do {
            if try !PlannedApplier.interfaceExists(policy.interface.value, namespace: namespace.netns) {
                guard allowMissingInterface else {
                    printError("\(policy.interface.location): error: interface \"\(policy.interface.value)\" does not exist in \(place); nothing applied")
                    throw ExitCode.invalidInput
                }
                // A NIC that does not exist carries neither the default route nor this session.
                return true
            }
            if !force {
                try LockoutGuard.check(interface: policy.interface.value, dedicated: policy.dedicated,
                                       namespace: namespace.netns, environment: ProcessInfo.processInfo.environment)
            }
            return false
        } catch let risk as LockoutGuard.Risk {
            printError("\(policy.interface.location): error: \(risk); nothing applied")
            throw ExitCode.invalidInput
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw reportFailure(error, command: "apply")
        }
    }

    /// --confirm (``ConfirmedApply``): the engine restores, records and ends the pending
    /// file; this only talks, once it is over.
    private func applyWithConfirmation(_ desired: Table, seconds: Double, applier: PlannedApplier,
                                       timing: ApplyTiming) throws {
        let confirmed: ConfirmedApply
        do {
            confirmed = try ConfirmedApply(applier: applier, stateDirectory: state.stateDirectory, namespace: namespace.netns)
        } catch {
            throw reportFailure(error, command: "apply")
        }
        let keyboard = isatty(0) == 1
        let outcome = confirmed.run(desired, seconds: seconds, keyboard: keyboard, prompt: {
            let netns = namespace.netns.map { " --netns \($0)" } ?? ""
            say("Keep this ruleset? Run `migfw confirm\(netns)` from a new session" + (keyboard ? " or press Enter here" : "")
                + " within \(Int(seconds.rounded(.up))) s, or the previous ruleset comes back.")
        }, commit: { try commit(desired, applier: applier, timing: timing) })
        switch outcome {
        case .confirmed:
            say("confirmed: keeping the new ruleset")
        case .rolledBack(let failure, let messages):
            if let failure { _ = reportFailure(failure, command: "apply") }
            for line in messages { printError(line) }
            throw ExitCode.failure
        }
    }

    /// The --confirm wait's bounds: a tenth of a second (tests use short waits) to a day.
    /// Anything else (inf, 1e300, nan, 1e-300) is refused before anything is applied.
    static let shortestConfirmWait = 0.1
    static let longestConfirmWait: Double = 86_400

    /// Where a rolled-back policy is recorded for this namespace (``RolledBackPolicy``).
    private var rolledBackPath: String {
        RolledBackPolicy.path(directory: state.stateDirectory, namespace: namespace.netns)
    }

    /// Commits the policy through `applier` and says what it did: the full create when
    /// there is no table yet or with --rebuild, else the plan. The caller holds the run lock.
    private func commit(_ desired: Table, applier: PlannedApplier, timing: ApplyTiming) throws {
        let output = ApplyOutput(namespace: namespace.netns, verbose: verbose, timings: timings)
        switch try applier.commit(desired, rebuild: rebuild, verify: !noVerify) {
        case .created(let report): output.created(desired, report, timing: timing)
        case .planned(let result): output.applied(desired, result, timing: timing)
        }
    }
}

/// A line on standard output, best effort (``Console/say(_:)``): apply's output reports on
/// work already done, so failing to show it changes neither the work nor the exit status.
func say(_ line: String) {
    Console.say(line + "\n")
}
