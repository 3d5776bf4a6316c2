import Foundation
import Logging
import Netlink
import Plan
import Ruleset

/// What one `reconcile` run says: drift events to the log (each once, a possible intrusion
/// at priority alert), Prometheus metrics, and the alerts that turn a run whose kernel
/// matches the policy into an error because the host is still not protected.
public final class ReconcileReport {
    /// The metrics written at the end (``finish(failed:interfaces:family:metricsFile:stateDirectory:namespace:)``).
    public private(set) var metrics = ReconcileMetrics()
    private let log: Logger
    private let started = ContinuousClock.now
    /// Drift messages already logged: a retry after a concurrent change logs only what it adds.
    private var logged = Set<String>()

    /// A report logging with `context` (the namespace, say) in every line.
    public init(context: String?) {
        log = Logger(label: "migfw.reconcile") { _ in EventLogHandler(context: context) }
    }

    /// The policy's trusted prefixes per family, and the paths its table leaves open by its
    /// own choice, for the metrics.
    public func policy(trusted ipv4: Int, _ ipv6: Int, table: Table) {
        metrics.trustedPrefixes = (ipv4, ipv6)
        metrics.unguardedPaths = GuardedPaths(table).unguarded
    }

    /// Whether a rollback hold keeps every plan back (``RolledBackPolicy``): drift is then
    /// logged as what reconcile would do, not as done.
    public var holding = false

    /// A plan about to be committed (or held): its drift events, logged once each.
    public func drift(_ plan: RulesetPlan) {
        for event in DriftEvents.events(for: plan, held: holding) where logged.insert(event.message).inserted {
            log.log(level: event.level, "\(event.message)",
                    metadata: event.level == .critical ? EventLogHandler.securityMetadata : nil)
        }
        metrics.unexpectedAddresses = plan.summary.unexpectedAddressRanges
        metrics.unprotectedAddresses = plan.summary.unprotectedAddressRanges
    }

    /// The kernel matched the policy (`fastPath`: proven without a dump).
    public func inSync(fastPath: Bool) {
        metrics.inSync = true
        metrics.fastPath = fastPath
    }

    /// Drift was repaired by `result`'s commit.
    public func repaired(_ result: Applier.Result) {
        metrics.inSync = false
        let summary = result.plan.summary
        metrics.driftChanges = summary.changeCount
        metrics.unexpectedAddresses = summary.unexpectedAddressRanges
        metrics.unprotectedAddresses = summary.unprotectedAddressRanges
        let repaired = PlanRenderer(color: false, verbose: false).summaryLine(result.plan, applied: true)
            .replacingOccurrences(of: "Applied: ", with: "")
        let retries = result.attempts > 1 ? " (after \(result.attempts - 1) retries: the ruleset changed meanwhile)" : ""
        log.warning("repaired drift: \(repaired)\(retries)")
    }

    /// `reconcile --audit`'s result: counted in the metrics, recorded for `status`, and each
    /// error finding the previous audit did not have logged at priority error, so that cron
    /// and the journal notice when a package upgrade or a colleague turns TLS off.
    public func audited(_ record: AuditRecord, stateDirectory: String, namespace: String?) {
        metrics.auditFindings = (record.errors, record.warnings, record.infos)
        metrics.auditRan = true
        let path = AuditRecord.path(directory: stateDirectory, namespace: namespace)
        for finding in record.newErrors(since: AuditRecord.load(path: path)) {
            log.error("audit: new error: \(finding)")
        }
        do { try record.save(path: path) } catch { log.warning("audit record not saved: \(error)") }
    }

    /// The audit could not run (its root is missing): logged, and `migfw_audit_ok 0` in the
    /// metrics (the findings' counts are left out: nothing was counted).
    public func auditFailed(_ message: String) {
        log.error("audit: \(message)")
        metrics.auditRan = false
    }

    /// The run failed: logged, and the metrics' last error.
    public func failed(_ message: String) {
        log.error("\(message)")
        metrics.lastError = message
    }

    /// Ends the run. Checks the protection alerts (a killed `apply --confirm`, also when the
    /// run `failed` before it knew the policy; a missing or enslaved `interface`) and logs
    /// each; reads the refused sources of table `family` when metrics are written; writes
    /// `metricsFile`. Returns false when the run failed, or an alert or a failed write makes
    /// it an error.
    public func finish(failed: Bool, interfaces: [String], family: TableFamily?, forwarding: Bool = false,
                       metricsFile: String?, stateDirectory: String, namespace: String?) -> Bool {
        var ok = !failed
        do {
            // An unreadable policy must not clear the unconfirmed-apply alert: it needs no
            // policy. The interfaces' alerts need the policy's NICs (none when it failed).
            // A failed run may not have loaded the table: only the unconfirmed apply is known.
            let alerts = try ProtectionAlerts.check(interfaces: failed ? [] : interfaces, tableLoaded: !failed,
                                                    family: family ?? .inet, forwarding: forwarding,
                                                    stateDirectory: stateDirectory, namespace: namespace)
            for alert in alerts { log.critical("ALERT: \(alert)") }
            metrics.alertKinds = Set(alerts.map(\.kind))
            if let first = alerts.first, !failed {
                metrics.lastError = first.description
                ok = false
            }
        } catch {
            // A failed run has said why already; its alerts are best effort.
            if !failed { self.failed("\(error)") }
            ok = false
        }
        if metricsFile != nil, let family {
            // Runtime state, read apart from the plan: the fast path dumps no table.
            do { metrics.refused = try RefusedSources.read(namespace: namespace, family: family) } catch {
                log.warning("refused sources not read: \(error)")
            }
        }
        metrics.timestamp = Date()
        metrics.durationSeconds = (ContinuousClock.now - started).seconds
        if let metricsFile {
            do { try metrics.write(to: metricsFile) } catch {
                log.error("\(error)")
                return false
            }
        }
        return ok
    }
}
