import Engine
import Plan
import Ruleset

/// When an apply started and what its policy phases (load, aggregate, lint, compile) took,
/// for the summary line and --timings.
struct ApplyTiming {
    var clock: ContinuousClock
    var policyPhases: PhaseTimes
    /// When the policy was ready and the kernel work began.
    var prepared: ContinuousClock.Instant
}

/// What `migfw apply` prints about a commit (best effort: ``say(_:)``).
struct ApplyOutput {
    var namespace: String?
    var verbose: Bool
    var timings: Bool

    private var place: String { namespace.map { " in network namespace \($0)" } ?? "" }

    /// A plan-based apply: the plan it committed, or that there was nothing to do.
    func applied(_ desired: Table, _ result: PlannedApplier.Result, timing: ApplyTiming) {
        let renderer = PlanRenderer(color: stdoutWantsColour, verbose: verbose)
        defer {
            if timings {
                var all = timing.policyPhases
                all.append(result.phases)
                say("timings: \(all); total \(PhaseTimes.format(all.total))")
            }
        }
        guard result.committed else {
            say(renderer.summaryLine(result.plan, applied: true))
            return
        }
        say("\(result.plan.tableMissing ? "created" : "updated") table \(desired.family.rawValue) \(desired.name)\(place)")
        say(renderer.render(result.plan).split(separator: "\n", omittingEmptySubsequences: false).dropLast(2)
                .joined(separator: "\n"))
        let retries = result.attempts > 1 ? "; \(result.attempts - 1) retries after concurrent changes" : ""
        say(renderer.summaryLine(result.plan, applied: true)
            + " (one transaction, \(milliseconds((timing.clock.now - timing.prepared).seconds))\(retries))")
    }

    /// The full create or replacement (no table yet, or --rebuild).
    func created(_ table: Table, _ report: ApplyReport, timing: ApplyTiming) {
        say("\(report.replaced ? "replaced" : "created") table \(table.family.rawValue) \(table.name)\(place)")
        for set in report.setSizes {
            say("  set \(set.name): \(set.intervals) \(set.intervals == 1 ? "element" : "elements")")
        }
        say("  \(report.chains) chains, \(report.rules) rules")
        let verified = report.verifySeconds.map { "verified by read-back in \(milliseconds($0))" } ?? "not verified (--no-verify)"
        if timings {
            say("timings: policy load+lint+compile \(milliseconds(timing.policyPhases.total)), "
                + "encode \(milliseconds(report.encodeSeconds)), kernel \(milliseconds(report.kernelSeconds)), "
                + "netlink total \(milliseconds(report.applySeconds)), verify \(report.verifySeconds.map(milliseconds) ?? "skipped")")
        }
        say("one transaction: \(report.messages) netlink messages, \(report.bytes) bytes, committed in "
            + "\(milliseconds(report.applySeconds)) (kernel \(milliseconds(report.kernelSeconds))); \(verified)")
    }
}

/// Milliseconds, for humans.
func milliseconds(_ seconds: Double) -> String { "\(Int((seconds * 1000).rounded())) ms" }
