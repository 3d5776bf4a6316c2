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
            or a rollback hold included: the loaded ruleset is left exactly as it is), and 1 \
            too, after any repair, when the host is not protected although the kernel matches \
            the policy: an `apply --confirm` killed before it was confirmed or rolled back, or \
            a migration NIC that does not exist (ALERT in the log, migfw_alert in the metrics).
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
        var policyInterface = ""
        var desiredFamily: TableFamily?
        func finish(_ code: ExitCode) throws {
            var code = code
            if code != .failure {
                // The kernel may match the policy and still not protect the host: an error.
                do {
                    let alerts = try ProtectionAlerts.check(interfaces: [policyInterface], tableLoaded: true,
                                                            stateDirectory: state.stateDirectory, namespace: namespace.netns)
                    for alert in alerts { log.critical("ALERT: \(alert)") }
                    metrics.alertKinds = Set(alerts.map(\.kind))
                    if let first = alerts.first {
                        metrics.lastError = first.description
                        code = .failure
                    }
                } catch {
                    log.error("\(errorText(error))")
                    metrics.lastError = errorText(error)
                    code = .failure
                }
            }
            if metricsFile != nil, let family = desiredFamily {
                // Runtime state, read apart from the plan: the fast path dumps no table.
                do { metrics.refused = try RefusedSources.read(namespace: namespace.netns, family: family) } catch {
                    log.warning("refused sources not read: \(errorText(error))")
                }
            }
            metrics.timestamp = Date()
            metrics.durationSeconds = (clock.now - start).seconds
            if let metricsFile {
                do { try metrics.write(to: metricsFile) } catch {
                    log.error("\(error)")
                    throw ExitCode.failure
                }
            }
            if code != .success { throw code }
        }
        func fail(_ message: String) throws -> Never {
            log.error("\(message)")
            metrics.lastError = message
            try finish(.failure)
            throw ExitCode.failure
        }

        let desired: Table
        let trusted: AggregatedPrefixes
        do {
            var phases = PhaseTimes()
            let compiled = try desiredRuleset(config: config.config, command: "reconcile", invalidExit: .failure, phases: &phases)
            (desired, trusted) = (compiled.table, compiled.trusted)
            policyInterface = compiled.policy.interface.value
            desiredFamily = compiled.table.family
        } catch {
            try fail("invalid policy \(config.config): nothing was changed")
        }
        metrics.trustedPrefixes = (trusted.ipv4CIDRCount, trusted.ipv6CIDRCount)

        let held: RunLock
        do { held = try RunLock.acquire(path: lock.lockFile, timeout: lock.lockTimeout) } catch {
            try fail(error.description)
        }
        defer { withExtendedLifetime(held) {} }

        // After an `apply --confirm` rollback, the policy file still says what was refused:
        // reconcile commits nothing until a person applies deliberately (RolledBackPolicy).
        let rolledBack = RolledBackPolicy.current(directory: state.stateDirectory, namespace: namespace.netns)

        do {
            let applier = try Applier(namespace: namespace.netns, stateDirectory: state.stateDirectory,
                                             family: desired.family)
            // A retry after a concurrent change logs only what it adds.
            var logged = Set<String>()
            let outcome = try Reconciler(applier: applier, hold: rolledBack).run(desired, full: full) { plan in
                for event in DriftEvents.events(for: plan) where logged.insert(event.message).inserted {
                    log.log(level: event.level, "\(event.message)",
                            metadata: event.level == .critical ? EventLogHandler.securityMetadata : nil)
                }
                metrics.unexpectedAddresses = plan.summary.unexpectedAddressRanges
                metrics.unprotectedAddresses = plan.summary.unprotectedAddressRanges
            }
            let result: Applier.Result
            switch outcome {
            case .inSync(let fastPath):
                metrics.inSync = true
                metrics.fastPath = fastPath
                return try finish(.success)
            case .held(_, let record):
                try fail(record.holdMessage)
            case .repaired(let repaired):
                result = repaired
            }
            metrics.inSync = false
            let summary = result.plan.summary
            metrics.driftChanges = summary.changeCount
            metrics.unexpectedAddresses = summary.unexpectedAddressRanges
            metrics.unprotectedAddresses = summary.unprotectedAddressRanges
            let repaired = PlanRenderer(color: false, verbose: false).summaryLine(result.plan, applied: true)
                .replacingOccurrences(of: "Applied: ", with: "")
            let retries = result.attempts > 1 ? " (after \(result.attempts - 1) retries: the ruleset changed meanwhile)" : ""
            log.warning("repaired drift: \(repaired)\(retries)")
            try finish(.changesPending)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            try fail(errorText(error))
        }
    }
}
