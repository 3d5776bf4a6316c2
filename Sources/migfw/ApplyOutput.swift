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

    /// What the apply did: the plan it committed (a created or replaced table included),
    /// what the transaction cost and how it was verified; or that there was nothing to do.
    func applied(_ desired: Table, _ result: Applier.Result, timing: ApplyTiming) {
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
        let verb = result.replaced ? "replaced" : result.plan.tableMissing ? "created" : "updated"
        say("\(verb) table \(desired.family.rawValue) \(desired.name)\(place)")
        say(renderer.render(result.plan).split(separator: "\n", omittingEmptySubsequences: false).dropLast(2)
                .joined(separator: "\n"))
        let retries = result.attempts > 1 ? "; \(result.attempts - 1) retries after concurrent changes" : ""
        say(renderer.summaryLine(result.plan, applied: true)
            + " (one transaction, \(milliseconds((timing.clock.now - timing.prepared).seconds))\(retries))")
        guard let receipt = result.receipt else { return }
        let verify = result.phases.seconds(of: "verify (\(result.verification.rawValue))")
        let verified = result.verification == .none ? "not verified (--verify none)"
            : "verified (\(result.verification.rawValue)) in \(milliseconds(verify ?? 0))"
        let committed = result.phases.seconds(of: "commit") ?? receipt.kernelSeconds
        say("\(receipt.messages) netlink messages, \(receipt.bytes) bytes, committed in "
            + "\(milliseconds(committed)) (kernel \(milliseconds(receipt.kernelSeconds))); \(verified)")
    }
}

extension ApplyOutput {
    /// The warning of `apply --allow-missing-interface` when the interface is not there yet.
    func warnMissing(_ interface: String) {
        printError("migfw apply: WARNING: interface \"\(interface)\" does not exist in \(Preflight.place(namespace)) "
                   + "yet: the rules match it by name and take effect when it appears; plan, reconcile and status "
                   + "report it until then")
    }
}

/// A line on standard output, best effort (``Console/say(_:)``): apply's output reports on
/// work already done, so failing to show it changes neither the work nor the exit status.
func say(_ line: String) {
    Console.say(line + "\n")
}

/// Milliseconds, for humans.
func milliseconds(_ seconds: Double) -> String { "\(Int((seconds * 1000).rounded())) ms" }
