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

    @Flag(help: "Skip reading back after the commit (plan-based: chains and set definitions; --rebuild: everything, slow for large sets).")
    var noVerify = false

    func validate() throws {
        if let confirm, !(confirm > 0) { throw ValidationError("--confirm needs a positive number of seconds") }
    }

    @Flag(help: "Print where the time went, phase by phase (policy load, lint, compile, snapshot, plan, commit, verify).")
    var timings = false

    func run() throws {
        let clock = ContinuousClock()
        let started = clock.now
        var phases = PhaseTimes()
        let compiled = try desiredRuleset(config: config.config, command: "apply", invalidExit: 2, phases: &phases)
        let (policy, desired) = (compiled.policy, compiled.table)
        let prepared = clock.now
        do {
            guard try PlannedApplier.interfaceExists(policy.interface.value, namespace: namespace.netns) else {
                let place = namespace.netns.map { "network namespace \($0)" } ?? "this network namespace"
                printError("\(policy.interface.location): error: interface \"\(policy.interface.value)\" does not exist in \(place); nothing applied")
                throw ExitCode(2)
            }
            if !force {
                do {
                    try LockoutGuard.check(interface: policy.interface.value, dedicated: policy.dedicated,
                                           namespace: namespace.netns, environment: ProcessInfo.processInfo.environment)
                } catch let risk as LockoutGuard.Risk {
                    printError("\(policy.interface.location): error: \(risk); nothing applied")
                    throw ExitCode(2)
                }
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw exitForKernelFailure(error, command: "apply")
        }
        let held: RunLock
        do { held = try RunLock.acquire(path: lock.lockFile, timeout: lock.lockTimeout) } catch {
            throw exitForKernelFailure(error, command: "apply")
        }
        defer { withExtendedLifetime(held) {} }
        phases.lap("checks + lock")
        guard let seconds = confirm else {
            let sent = BatchSent()
            // Applied deliberately (its batch went out, whatever came after): reconcile may
            // change the kernel again (see RolledBackPolicy).
            defer { if sent.value { RolledBackPolicy.forget(path: rolledBackPath) } }
            do {
                try commit(desired, clock: clock, started: started, prepared: prepared, policyPhases: phases, sent: sent)
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw exitForKernelFailure(error, command: "apply")
            }
            return
        }
        try applyWithConfirmation(seconds: seconds, desired: desired, clock: clock,
                                  started: started, prepared: prepared, policyPhases: phases)
    }

    /// --confirm: everything that could stop the rollback happens before the commit (the
    /// pending file, the snapshot to restore, the signal shield), and from the commit on
    /// any failure, signal or missing confirmation restores what the kernel held before.
    private func applyWithConfirmation(seconds: Double, desired: Table, clock: ContinuousClock,
                                       started: ContinuousClock.Instant, prepared: ContinuousClock.Instant,
                                       policyPhases: PhaseTimes) throws {
        let confirmation = Confirmation(stateDirectory: state.stateDirectory, namespace: namespace.netns)
        let shield = SignalShield()
        defer { withExtendedLifetime(shield) {} }
        let applier: PlannedApplier
        let previous: PlannedApplier.Snapshot
        do {
            applier = try PlannedApplier(namespace: namespace.netns, stateDirectory: state.stateDirectory,
                                     family: desired.family)
            previous = try applier.snapshot()
            try confirmation.begin()
        } catch {
            throw exitForKernelFailure(error, command: "apply")
        }
        let outcome: Confirmation.Outcome
        let sent = BatchSent()
        do {
            try commit(desired, clock: clock, started: started, prepared: prepared, policyPhases: policyPhases,
                       sent: sent, applier: applier)
            let netns = namespace.netns.map { " --netns \($0)" } ?? ""
            let keyboard = isatty(0) == 1
            try confirmation.ready()
            print("Keep this ruleset? Run `migfw confirm\(netns)` from a new session"
                  + (keyboard ? " or press Enter here" : "") + " within \(Int(seconds.rounded(.up))) s, "
                  + "or the previous ruleset comes back.")
            outcome = confirmation.wait(seconds: seconds, keyboard: keyboard, shield: shield)
        } catch {
            // The commit may have happened (or its outcome is unknown): restore either way;
            // restoring what the kernel still holds changes nothing.
            confirmation.end()
            _ = exitForKernelFailure(error, command: "apply")
            rollBack(applier, to: previous, reason: "the apply failed", rejected: sent.value ? desired : nil)
            throw ExitCode(1)
        }
        switch outcome {
        case .confirmed:
            RolledBackPolicy.forget(path: rolledBackPath)
            print("confirmed: keeping the new ruleset")
        case .timedOut:
            rollBack(applier, to: previous, reason: "not confirmed within \(Int(seconds.rounded(.up))) s",
                     rejected: sent.value ? desired : nil)
            throw ExitCode(1)
        case .interrupted(let signal):
            rollBack(applier, to: previous, reason: "not confirmed (\(String(cString: strsignal(signal))) while waiting)",
                     rejected: sent.value ? desired : nil)
            throw ExitCode(1)
        }
    }

    /// Where a rolled-back policy is recorded for this namespace (``RolledBackPolicy``).
    private var rolledBackPath: String {
        RolledBackPolicy.path(directory: state.stateDirectory, namespace: namespace.netns)
    }

    /// Restores `previous`, and records `rejected` (nil: no batch went out, nothing to roll
    /// back) so that `reconcile` does not put it back (see ``RolledBackPolicy``).
    private func rollBack(_ applier: PlannedApplier, to previous: PlannedApplier.Snapshot, reason: String,
                          rejected: Table?) {
        applier.afterCommit = nil
        if let rejected {
            do {
                try RolledBackPolicy(digest: RulesetDigest.digest(rejected), namespaceID: ApplyState.namespaceID(namespace.netns),
                                     reason: reason).save(path: rolledBackPath)
                printError("migfw apply: reconcile will change nothing until `migfw apply` applies a policy deliberately "
                           + "(or an `apply --confirm` is confirmed)")
            } catch {
                printError("migfw apply: cannot record the rollback (\(error)): a reconcile may apply this policy again")
            }
        }
        do {
            let restored = try applier.restore(previous)
            printError("migfw apply: \(reason): "
                       + (!previous.retired.isEmpty
                          ? "restored table \(previous.retired.map(\.family.rawValue).joined(separator: ", ")) migfw (the mode change is undone)"
                          : previous.table == nil ? "deleted table \(applier.family.rawValue) migfw (there was none before)"
                          : "restored the previous ruleset (\(restored.plan.summary.changeCount) changes undone)"))
        } catch {
            printError("migfw apply: \(reason), and the rollback FAILED: \(errorText(error))")
        }
    }

    /// Commits the policy: the full create (no table yet, or --rebuild) or the plan. The
    /// caller holds the run lock.
    private func commit(_ desired: Table, clock: ContinuousClock, started: ContinuousClock.Instant,
                        prepared: ContinuousClock.Instant, policyPhases: PhaseTimes = PhaseTimes(),
                        sent: BatchSent, applier existing: PlannedApplier? = nil) throws {
        let applier = try existing ?? PlannedApplier(namespace: namespace.netns, stateDirectory: state.stateDirectory,
                                     family: desired.family)
        applier.willCommit = { _ in sent.value = true }
        if ProcessInfo.processInfo.environment["MIGFW_TEST_FAIL_AFTER_COMMIT"] == "1" {
            // Test hook: a failure after the commit (as a failed read-back would be), to show
            // that --confirm still rolls back.
            applier.afterCommit = { throw OperationError.verifyFailed("injected by MIGFW_TEST_FAIL_AFTER_COMMIT") }
        }
        // No table yet (the plan is "create everything") or --rebuild: the full create,
        // verified by a complete read-back unless --no-verify.
        if try rebuild || !applier.tableExists() {
            // The full create sends its batch (or may have, if it fails) from here on.
            sent.value = true
            try rebuildTable(desired, clock: clock, started: started, prepared: prepared)
            try applier.afterCommit?()
            return
        }
        let result = try applier.apply(desired, verify: !noVerify)
        let renderer = PlanRenderer(color: stdoutWantsColour, verbose: verbose)
        defer {
            if timings {
                var all = policyPhases
                all.append(result.phases)
                print("timings: \(all); total \(PhaseTimes.format(all.total))")
            }
        }
        guard result.committed else {
            print(renderer.summaryLine(result.plan, applied: true))
            return
        }
        let place = namespace.netns.map { " in network namespace \($0)" } ?? ""
        print("\(result.plan.tableMissing ? "created" : "updated") table \(desired.family.rawValue) \(desired.name)\(place)")
        print(renderer.render(result.plan).split(separator: "\n", omittingEmptySubsequences: false).dropLast(2)
                .joined(separator: "\n"))
        let retries = result.attempts > 1 ? "; \(result.attempts - 1) retries after concurrent changes" : ""
        print(renderer.summaryLine(result.plan, applied: true)
              + " (one transaction, \(milliseconds((clock.now - prepared).seconds))\(retries))")
    }

    /// The full create or replacement (``Applier``): for a missing table and --rebuild.
    /// The caller holds the run lock.
    /// (run() has checked the interface already.)
    private func rebuildTable(_ table: Table, clock: ContinuousClock,
                              started: ContinuousClock.Instant, prepared: ContinuousClock.Instant) throws {
        let statePath = ApplyState.path(directory: state.stateDirectory, namespace: namespace.netns)
        // A failed create leaves the old record: its generation id no longer matches, so it
        // only still says which addresses migfw applied.
        let report = try Applier.apply(table, namespace: namespace.netns, verify: !noVerify)
        // The record of what the all-or-nothing commit put there, as a plan-based apply keeps
        // one: the next apply or reconcile need not dump the sets, and a prefix later taken
        // out of the policy is known as migfw's own (best effort: without it, the next run
        // checks fully).
        do {
            try ApplyState(namespaceID: ApplyState.namespaceID(namespace.netns), generation: report.generation,
                           digest: report.digest, sets: table.sets).save(path: statePath)
        } catch {
            ApplyState.forget(path: statePath)
        }
        let place = namespace.netns.map { " in network namespace \($0)" } ?? ""
        print("\(report.replaced ? "replaced" : "created") table \(table.family.rawValue) \(table.name)\(place)")
        for set in report.setSizes {
            print("  set \(set.name): \(set.intervals) \(set.intervals == 1 ? "element" : "elements")")
        }
        print("  \(report.chains) chains, \(report.rules) rules")
        let verified = report.verifySeconds.map { "verified by read-back in \(milliseconds($0))" } ?? "not verified (--no-verify)"
        if timings {
            print("timings: policy load+lint+compile \(milliseconds((prepared - started).seconds)), "
                + "encode \(milliseconds(report.encodeSeconds)), kernel \(milliseconds(report.kernelSeconds)), "
                + "netlink total \(milliseconds(report.applySeconds)), verify \(report.verifySeconds.map(milliseconds) ?? "skipped")")
        }
        print("one transaction: \(report.messages) netlink messages, \(report.bytes) bytes, committed in \(milliseconds(report.applySeconds)) (kernel \(milliseconds(report.kernelSeconds))); \(verified)")
    }
}

/// Whether an apply's batch went out (or may have: a failure after the send leaves the
/// outcome unknown). A reference, so the plan-based applier's hook can set it.
final class BatchSent {
    var value = false
}
