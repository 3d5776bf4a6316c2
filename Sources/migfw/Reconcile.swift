import ArgumentParser
import Engine
import Foundation
import Policy
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

    @Flag(name: .long, help: "Also audit the hypervisor's own migration settings (as `migfw audit`): counts in the metrics (migfw_audit_findings), new error findings logged, the summary in `migfw status`.")
    var audit = false

    @Option(name: .customLong("audit-root"), help: "With --audit: read the hypervisor's files under this directory instead of /.",
            completion: .directory)
    var auditRoot: String = "/"

    func run() throws {
        let report = ReconcileReport(context: namespace.netns.map { "netns \($0)" })
        var interfaces: [String] = [], family: TableFamily?
        var policy: Policy?
        let outcome = reconcile(report, interfaces: &interfaces, family: &family, policy: &policy)
        if audit, let policy { runAudit(policy, report: report) }
        let ok = report.finish(failed: outcome == .failure, interfaces: interfaces, family: family,
                               forwarding: policy?.gateway != nil, metricsFile: metricsFile, stateDirectory: state.stateDirectory, namespace: namespace.netns)
        if !ok { throw ExitCode.failure }
        if outcome != .success { throw outcome }
    }

    /// The run itself: policy, lock, then the engine (``Reconciler``). Returns success (in
    /// sync), ``ExitCode/changesPending`` (repaired) or ``ExitCode/failure`` (reported).
    private func reconcile(_ report: ReconcileReport, interfaces: inout [String], family: inout TableFamily?,
                           policy: inout Policy?) -> ExitCode {
        let compiled: DesiredRuleset
        do {
            var phases = PhaseTimes()
            compiled = try desiredRuleset(config: config.config, command: "reconcile", invalidExit: .failure, phases: &phases)
        } catch {
            report.failed("invalid policy \(config.config): nothing was changed")
            return .failure
        }
        let desired = compiled.table
        policy = compiled.policy
        (interfaces, family) = (compiled.policy.interfaces.map(\.value), desired.family)
        report.policy(trusted: compiled.trusted.ipv4CIDRCount, compiled.trusted.ipv6CIDRCount, table: desired)
        do {
            let held = try RunLock.acquire(path: lock.lockFile, timeout: lock.lockTimeout)
            defer { withExtendedLifetime(held) {} }
            // After an `apply --confirm` rollback, the policy file still says what was refused:
            // reconcile commits nothing until a person applies deliberately (RolledBackPolicy).
            let hold = RolledBackPolicy.current(directory: state.stateDirectory, namespace: namespace.netns)
            report.holding = hold != nil
            let applier = try Applier(namespace: namespace.netns, stateDirectory: state.stateDirectory, family: desired.family)
            switch try Reconciler(applier: applier, hold: hold).run(desired, full: full, reportDrift: report.drift) {
            case .inSync(let fastPath):
                report.inSync(fastPath: fastPath)
                return .success
            case .held(_, let record):
                report.failed(record.holdMessage)
                return .failure
            case .repaired(let result):
                report.repaired(result)
                return .changesPending
            }
        } catch {
            report.failed(errorText(error))
            return .failure
        }
    }

    /// `--audit`: the hypervisor's settings, after the ruleset (an audit never changes the
    /// kernel or a file, and an audit error does not change the exit status: it is logged).
    private func runAudit(_ policy: Policy, report: ReconcileReport) {
        do {
            let audited = try AuditCommand.audit(policy, root: auditRoot, namespace: namespace.netns)
            let errors = audited.findings.filter { $0.severity == .error }.map { finding in
                "\(finding.line.map { "\(finding.file):\($0)" } ?? finding.file): \(finding.message) [\(finding.id)]"
            }
            report.audited(AuditRecord(errors: audited.errors, warnings: audited.warnings, infos: audited.infos,
                                       errorFindings: errors),
                           stateDirectory: state.stateDirectory, namespace: namespace.netns)
        } catch {
            report.auditFailed("\(error)")
        }
    }
}
