import ArgumentParser
import Engine
import Foundation
import Logging
import Plan
import Policy
import Prefix
import Ruleset

/// `migfw reconcile`: keep the kernel equal to the policy, from cron or a systemd timer.
struct Reconcile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Repair drift between the kernel and the policy (for cron and systemd timers).",
        discussion: """
            Non-interactive. Takes an exclusive lock (--lock-file) so two runs never \
            interleave: a second run waits for the first up to --lock-timeout seconds, then \
            gives up with exit 1. Silent when in sync. On drift, logs every change to syslog \
            (standard error when there is no /dev/log, or MIGFW_LOG=stderr), reports \
            addresses the kernel trusts, the policy does not, and migfw never applied as a \
            possible intrusion (priority alert), and repairs in one transaction. With --metrics-file, writes \
            Prometheus textfile metrics (migfw_*) atomically.

            Fast path: when the ruleset generation id is the one migfw recorded after its last \
            commit (--state-dir) and the policy's digest matches, nothing has changed and no \
            set is dumped. --full always reads everything.

            After `migfw apply --confirm` rolled a policy back (not confirmed), reconcile \
            changes nothing (it reports drift and exits 1) until `migfw apply` applies a \
            policy deliberately or an `apply --confirm` is confirmed: it never undoes a \
            rollback.

            Exit status: 0 in sync, 2 drift found and repaired, 1 error (an invalid policy \
            or a rollback hold included: the loaded ruleset is left exactly as it is).
            """
    )

    @OptionGroup var config: ConfigOptions
    @OptionGroup var namespace: NamespaceOptions
    @OptionGroup var lock: LockOptions
    @OptionGroup var state: StateOptions

    @Option(name: .customLong("metrics-file"), help: "Write Prometheus textfile metrics here (e.g. for node_exporter).")
    var metricsFile: String?

    @Flag(name: .long, help: "Skip the fast path: dump and compare everything.")
    var full = false

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let context = namespace.netns.map { "netns \($0)" }
        let log = Logger(label: "migfw.reconcile") { _ in EventLogHandler(context: context) }
        var metrics = ReconcileMetrics()
        func finish(_ code: Int32) throws {
            metrics.timestamp = Date()
            metrics.durationSeconds = (clock.now - start).seconds
            if let metricsFile {
                do { try metrics.write(to: metricsFile) } catch {
                    log.error("\(error)")
                    throw ExitCode(1)
                }
            }
            if code != 0 { throw ExitCode(code) }
        }
        func fail(_ message: String) throws -> Never {
            log.error("\(message)")
            metrics.lastError = message
            try finish(1)
            throw ExitCode(1)
        }

        let desired: Table
        let trusted: AggregatedPrefixes
        do {
            var phases = PhaseTimes()
            let compiled = try desiredRuleset(config: config.config, command: "reconcile", invalidExit: 1, phases: &phases)
            (desired, trusted) = (compiled.table, compiled.trusted)
        } catch {
            try fail("invalid policy \(config.config): nothing was changed")
        }
        metrics.trustedPrefixes = (trusted.ipv4CIDRCount, trusted.ipv6CIDRCount)

        let held: RunLock
        do { held = try RunLock.acquire(path: lock.lockFile, timeout: lock.lockTimeout) } catch {
            try fail(error.description)
        }
        defer { withExtendedLifetime(held) {} }
        if let hold = ProcessInfo.processInfo.environment["MIGFW_TEST_HOLD_LOCK_SECONDS"].flatMap(Double.init) {
            // Test hook: widen the locked section so a test can show two runs never overlap.
            Thread.sleep(forTimeInterval: hold)
        }

        // After an `apply --confirm` rollback, the policy file still says what was refused:
        // reconcile commits nothing until a person applies deliberately (RolledBackPolicy).
        let rolledBack = RolledBackPolicy.current(directory: state.stateDirectory, namespace: namespace.netns)

        do {
            let applier = try PlannedApplier(namespace: namespace.netns, stateDirectory: state.stateDirectory, family: desired.family)
            // One table check too: the record proves nothing about a table that is not there.
            if !full, let recorded = applier.currentState(generation: try applier.generation()),
               recorded.digest == RulesetDigest.digest(desired), try applier.tableExists() {
                metrics.inSync = true
                metrics.fastPath = true
                return try finish(0)
            }
            // Log what is about to be repaired BEFORE the commit: if the repair (or anything
            // after it) fails, the alert, a possible intrusion above all, is still raised.
            // A retry after a concurrent change logs only what it adds.
            var logged = Set<String>()
            applier.willCommit = { plan in
                for event in DriftEvents.events(for: plan) where logged.insert(event.message).inserted {
                    log.log(level: event.level, "\(event.message)",
                            metadata: event.level == .critical ? EventLogHandler.securityMetadata : nil)
                }
                metrics.unexpectedAddresses = plan.summary.unexpectedAddressRanges
                if let rolledBack { throw RollbackHold(record: rolledBack) }
            }
            if ProcessInfo.processInfo.environment["MIGFW_TEST_FAIL_AFTER_COMMIT"] == "1" {
                // Test hook: a failure after the commit, to show the alert is logged anyway.
                applier.afterCommit = { throw OperationError.verifyFailed("injected by MIGFW_TEST_FAIL_AFTER_COMMIT") }
            }
            let result = try applier.apply(desired, allowState: !full)
            metrics.inSync = !result.committed
            guard result.committed else { return try finish(0) }
            let summary = result.plan.summary
            metrics.driftChanges = summary.changeCount
            metrics.unexpectedAddresses = summary.unexpectedAddressRanges
            let repaired = PlanRenderer(color: false, verbose: false).summaryLine(result.plan, applied: true)
                .replacingOccurrences(of: "Applied: ", with: "")
            let retries = result.attempts > 1 ? " (after \(result.attempts - 1) retries: the ruleset changed meanwhile)" : ""
            log.warning("repaired drift: \(repaired)\(retries)")
            try finish(2)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            try fail(errorText(error))
        }
    }
}

/// Reconcile found changes to make while an `apply --confirm` rollback holds (see
/// ``RolledBackPolicy``): nothing is sent.
struct RollbackHold: Error, CustomStringConvertible {
    var record: RolledBackPolicy
    var description: String {
        "`migfw apply --confirm` rolled back a policy at \(record.timeText) (\(record.reason)); reconcile changes "
            + "nothing until `migfw apply` applies a policy deliberately (or an `apply --confirm` is confirmed): "
            + "the drift above is not repaired"
    }
}
