import ArgumentParser
import Engine
import Foundation
import Ruleset

/// `migfw apply`: make the kernel hold the policy's ruleset, changing only what differs.
struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Load the policy's ruleset into the kernel (table inet migfw) atomically.",
        discussion: """
            Plans against what the kernel holds (as `migfw plan` shows) and commits only the \
            difference in ONE netlink transaction (all or nothing): an element-only change \
            is sent as element deltas, never as a table rebuild. A missing table is created \
            whole; --rebuild deletes and creates it in the same transaction. The batch \
            carries the ruleset generation id read with the plan; if anything changed in \
            between, the kernel rejects it and migfw reads, plans and tries again (at most 5 \
            times). Then it reads back what the kernel holds (--verify). Prints what it \
            changed. No other table is touched. Needs CAP_NET_ADMIN.

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

    @Option(name: .long, help: "What to read back after the commit: none, structure (table, chains, rules, set definitions) or full (every element too). Default: full when the table is created or replaced, structure for a plan.")
    var verify: Verification?

    @Flag(help: "Read nothing back after the commit (--verify none).")
    var noVerify = false

    @Flag(help: "Print where the time went, phase by phase (policy load, lint, compile, snapshot, plan, commit, verify).")
    var timings = false

    /// The --confirm wait's bounds: a tenth of a second (tests use short waits) to a day.
    /// Anything else (inf, 1e300, nan, 1e-300) is refused before anything is applied.
    static let shortestConfirmWait = 0.1
    static let longestConfirmWait: Double = 86_400

    func validate() throws {
        if let confirm, !(confirm >= Self.shortestConfirmWait && confirm <= Self.longestConfirmWait) {
            throw ValidationError("--confirm needs a number of seconds from \(Self.shortestConfirmWait) to "
                                  + "\(Int(Self.longestConfirmWait)) (a day)")
        }
        if noVerify && verify != nil { throw ValidationError("--no-verify and --verify: give one") }
    }

    func run() throws {
        let clock = ContinuousClock()
        var phases = PhaseTimes()
        let compiled = try desiredRuleset(config: config.config, command: "apply", invalidExit: .invalidInput, phases: &phases)
        let (policy, desired) = (compiled.policy, compiled.table)
        let timing = ApplyTiming(clock: clock, policyPhases: phases, prepared: clock.now)
        let output = ApplyOutput(namespace: namespace.netns, verbose: verbose, timings: timings)
        let options = ApplyOptions(mode: rebuild ? .replace : .plan, verification: noVerify ? Verification.none : verify)
        // Said last, after the outcome (an error included).
        var missingInterfaces: [String] = []
        defer { for name in missingInterfaces { output.warnMissing(name) } }
        do {
            for interface in policy.interfaces {
                if try Preflight.checkInterface(interface.value, dedicated: policy.dedicated, namespace: namespace.netns,
                                                allowMissing: allowMissingInterface, force: force,
                                                ipTraffic: desired.family != .bridge, forwarding: policy.gateway != nil) {
                    missingInterfaces.append(interface.value)
                }
            }
            if !force {
                try LockoutGuard.checkOtherInterfaces(policy, namespace: namespace.netns)
            }
            let held = try RunLock.acquire(path: lock.lockFile, timeout: lock.lockTimeout)
            defer { withExtendedLifetime(held) {} }
            let applier = try Applier(namespace: namespace.netns, stateDirectory: state.stateDirectory, family: desired.family)
            if let seconds = confirm {
                return try applyWithConfirmation(desired, options, seconds: seconds, applier: applier) {
                    output.applied(desired, $0, timing: timing)
                }
            }
            // Applied deliberately (its batch went out, whatever came after): reconcile may
            // change the kernel again (see RolledBackPolicy).
            defer { if applier.batchesSent > 0 { RolledBackPolicy.forget(path: rolledBackPath) } }
            output.applied(desired, try applier.apply(desired, options), timing: timing)
            // The kernel now holds what a person chose: a killed `apply --confirm`'s pending
            // file no longer describes it.
            if let pid = Confirmation(stateDirectory: state.stateDirectory, namespace: namespace.netns).clearAbandoned() {
                say("cleared the pending confirmation of an `apply --confirm` that ended unconfirmed (process \(pid))")
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw reportFailure(error, command: "apply", location: "\(policy.interface.location)")
        }
    }

    /// --confirm (``ConfirmedApply``): the engine applies, waits, and on anything but a
    /// confirmation restores, records and ends the pending file; this only talks.
    private func applyWithConfirmation(_ desired: Table, _ options: ApplyOptions, seconds: Double, applier: Applier,
                                       show: (Applier.Result) -> Void) throws {
        let confirmed = try ConfirmedApply(applier: applier, stateDirectory: state.stateDirectory, namespace: namespace.netns)
        let keyboard = isatty(0) == 1
        let outcome = confirmed.run(desired, options, seconds: seconds, keyboard: keyboard, applied: show) {
            let netns = namespace.netns.map { " --netns \($0)" } ?? ""
            say("Keep this ruleset? Run `migfw confirm\(netns)` from a new session" + (keyboard ? " or press Enter here" : "")
                + " within \(Int(seconds.rounded(.up))) s, or the previous ruleset comes back.")
        }
        switch outcome {
        case .confirmed:
            say("confirmed: keeping the new ruleset")
        case .rolledBack(_, let failure, let messages):
            if let failure { _ = reportFailure(failure, command: "apply") }
            for line in messages { printError(line) }
            throw ExitCode.failure
        }
    }

    /// Where a rolled-back policy is recorded for this namespace (``RolledBackPolicy``).
    private var rolledBackPath: String {
        RolledBackPolicy.path(directory: state.stateDirectory, namespace: namespace.netns)
    }
}
