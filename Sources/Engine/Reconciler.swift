import Plan
import Ruleset

/// One `reconcile` run's kernel work: the fast path, the plan, the rollback hold, the repair.
///
/// After an `apply --confirm` rollback the policy file still says what was refused, so while
/// a ``RolledBackPolicy`` record exists nothing is committed: the drift is still reported
/// (``run(_:full:reportDrift:)`` hands every plan to `reportDrift` before anything is
/// sent), then the run ends with ``Outcome/held(_:_:)``.
public struct Reconciler {
    /// How the run ended.
    public enum Outcome {
        /// The kernel held the policy. `fastPath`: proven by the generation id and the
        /// record alone, without a dump.
        case inSync(fastPath: Bool)
        /// Drift was found and repaired in one transaction.
        case repaired(Applier.Result)
        /// Drift was found while an `apply --confirm` rollback holds: nothing was sent.
        case held(RulesetPlan, RolledBackPolicy)
    }

    public let applier: Applier
    /// The rollback record in force, if any.
    public let hold: RolledBackPolicy?

    public init(applier: Applier, hold: RolledBackPolicy?) {
        self.applier = applier
        self.hold = hold
    }

    /// Makes the kernel hold `desired`, unless a hold forbids it. `full` skips the fast path
    /// (dump and compare everything). `reportDrift` sees each plan before it is sent (again
    /// after a retry), so what is about to be repaired, a possible intrusion above all, is
    /// reported even when the repair fails or is held.
    public func run(_ desired: Table, full: Bool, reportDrift: (RulesetPlan) -> Void) throws -> Outcome {
        // One table check too: the record proves nothing about a table that is not there.
        if !full, let recorded = applier.currentState(generation: try applier.generation()),
           recorded.digest == RulesetDigest.digest(desired), try applier.tableExists() {
            return .inSync(fastPath: true)
        }
        let result = try applier.apply(desired, ApplyOptions(trustState: !full, hold: hold), planned: reportDrift)
        if let held = result.held { return .held(result.plan, held) }
        return result.committed ? .repaired(result) : .inSync(fastPath: false)
    }
}

extension RolledBackPolicy {
    /// Why reconcile left drift unrepaired while this record holds.
    public var holdMessage: String {
        "`migfw apply --confirm` rolled back a policy at \(timeText) (\(reason)); reconcile changes "
            + "nothing until `migfw apply` applies a policy deliberately (or an `apply --confirm` is confirmed): "
            + "the drift above is not repaired"
    }
}
