import Plan
import Ruleset

/// One `reconcile` run's kernel work: the fast path, the plan, the rollback hold, the repair.
///
/// After an `apply --confirm` rollback the policy file still says what was refused, so while
/// a ``RolledBackPolicy`` record exists nothing is committed: the drift is still reported
/// (``run(_:full:willRepair:)`` hands every plan to `willRepair` before anything is sent),
/// then the run ends with ``Held``.
public struct Reconciler {
    /// How the run ended.
    public enum Outcome {
        /// The kernel held the policy. `fastPath`: proven by the generation id and the
        /// record alone, without a dump.
        case inSync(fastPath: Bool)
        /// Drift was found and repaired in one transaction.
        case repaired(PlannedApplier.Result)
    }

    /// Drift found while an `apply --confirm` rollback holds (see ``RolledBackPolicy``):
    /// nothing was sent.
    public struct Held: Error, CustomStringConvertible {
        public var record: RolledBackPolicy
        public var description: String {
            "`migfw apply --confirm` rolled back a policy at \(record.timeText) (\(record.reason)); reconcile changes "
                + "nothing until `migfw apply` applies a policy deliberately (or an `apply --confirm` is confirmed): "
                + "the drift above is not repaired"
        }
    }

    public let applier: PlannedApplier
    /// The rollback record in force, if any.
    public let hold: RolledBackPolicy?

    public init(applier: PlannedApplier, hold: RolledBackPolicy?) {
        self.applier = applier
        self.hold = hold
    }

    /// Makes the kernel hold `desired`, unless a hold forbids it. `full` skips the fast path
    /// (dump and compare everything). `willRepair` sees each plan before it is sent (again
    /// after a retry), so what is about to be repaired, a possible intrusion above all, is
    /// reported even when the repair fails or is held.
    public func run(_ desired: Table, full: Bool, willRepair: @escaping (RulesetPlan) -> Void) throws -> Outcome {
        // One table check too: the record proves nothing about a table that is not there.
        if !full, let recorded = applier.currentState(generation: try applier.generation()),
           recorded.digest == RulesetDigest.digest(desired), try applier.tableExists() {
            return .inSync(fastPath: true)
        }
        let hold = hold
        applier.willCommit = { plan in
            willRepair(plan)
            if let hold { throw Held(record: hold) }
        }
        defer { applier.willCommit = nil }
        let result = try applier.apply(desired, allowState: !full)
        return result.committed ? .repaired(result) : .inSync(fastPath: false)
    }
}
