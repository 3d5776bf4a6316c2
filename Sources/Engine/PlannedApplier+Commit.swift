import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Netlink
import Plan
import Ruleset

/// apply's entry point, the full create, the restore, and the record of what was committed.
extension PlannedApplier {
    /// What ``commit(_:rebuild:verify:)`` did.
    public enum Commit {
        /// The table was created whole (or replaced: `rebuild`).
        case created(ApplyReport)
        /// The plan against what the kernel held was applied (or nothing was needed).
        case planned(Result)
    }

    /// Makes the kernel hold `desired`, `apply`'s one entry point: the full create (verified
    /// by a complete read-back) when there is no table yet or `rebuild`, else the plan.
    public func commit(_ desired: Table, rebuild: Bool = false, verify: Bool = true) throws -> Commit {
        if try rebuild || !tableExists() { return .created(try replace(desired, verify: verify)) }
        return .planned(try apply(desired, verify: verify))
    }

    /// Creates `table` whole, replacing migfw's table if there is one (delete + create in
    /// one transaction, ``Applier``): for a missing table and `apply --rebuild`. Verified by
    /// a complete read-back unless `verify` is false; recorded like a plan-based commit (a
    /// failed create keeps the old record: its generation id no longer matches, so it only
    /// still says which addresses migfw applied).
    public func replace(_ table: Table, verify: Bool = true) throws -> ApplyReport {
        batchesSent += 1
        let report = try Applier.apply(table, session: session, verify: verify)
        do { try afterCommit?() } catch {
            ApplyState.forget(path: statePath)
            throw error
        }
        recordOrForget(table, generation: report.generation, digest: report.digest)
        return report
    }

    /// Puts back what `previous` held: its table, or no table at all, and migfw's tables of
    /// other families that the apply retired (a mode change).
    public func restore(_ previous: Snapshot) throws -> Result {
        if !previous.retired.isEmpty {
            return try restoreRetired(previous)
        }
        guard let table = previous.table else {
            return try withGenerationRetry(attempts: maxAttempts) { attempt in
                let generation = try session.generation()
                let empty = Planner.plan(desired: Table(), actual: Table())
                defer { ApplyState.forget(path: statePath) }
                guard try session.tableExists(family: family) else {
                    return Result(plan: empty, attempts: attempt, committed: false)
                }
                _ = try session.send(Batch.delete(family: family), expectedGeneration: generation)
                return Result(plan: empty, attempts: attempt, committed: true)
            }
        }
        // Recorded only when migfw's own record was what it restores (a dump may hold foreign elements).
        return try apply(table, record: previous.fromState)
    }

    /// Re-creates the tables a mode change retired; deletes this family's table when
    /// `previous` had none, in the same batch (else it is restored first, then the others).
    private func restoreRetired(_ previous: Snapshot) throws -> Result {
        if let table = previous.table {
            _ = try apply(table, record: false)
        }
        let empty = Planner.plan(desired: Table(), actual: Table())
        return try withGenerationRetry(attempts: maxAttempts) { attempt in
            let generation = try session.generation()
            var batches: [Batch] = []
            for (index, old) in previous.retired.enumerated() {
                var batch = Batch.create(old, replacing: try session.tableExists(family: old.family))
                if index == 0, previous.table == nil, try session.tableExists(family: family) {
                    batch.operations.insert(.deleteTableOfFamily(family), at: 0)
                }
                batches.append(batch)
            }
            // One table family per batch; a second retired table (never made by migfw
            // alone) follows in its own.
            var expected = generation
            for batch in batches {
                _ = try session.send(batch, expectedGeneration: expected)
                expected = Self.generation(after: expected)
            }
            ApplyState.forget(path: statePath)
            return Result(plan: empty, attempts: attempt, committed: true)
        }
    }

    /// The generation id a commit at `generation` leaves: the kernel skips 0 when it wraps.
    public static func generation(after generation: UInt32) -> UInt32 {
        generation == .max ? 1 : generation &+ 1
    }

    /// After a commit or an in-sync check at `generation`: remember what the kernel holds.
    public func record(_ table: Table, generation: UInt32, digest: UInt64? = nil) throws {
        let state = ApplyState(namespaceID: namespaceID, generation: generation,
                               digest: digest ?? RulesetDigest.digest(table), sets: table.sets)
        try state.save(path: statePath)
    }

    /// ``record(_:generation:)``, or when the state cannot be written, no state at all (a
    /// stale one would mislead the fast path; none only costs a full check).
    public func recordOrForget(_ table: Table, generation: UInt32, digest: UInt64? = nil) {
        do { try record(table, generation: generation, digest: digest) } catch { ApplyState.forget(path: statePath) }
    }

    /// Cheap read-back of everything but the elements (chains, rules, set definitions); the
    /// elements are covered by the all-or-nothing commit and by reconcile's full check.
    func verifyStructure(_ desired: Table) throws {
        guard let light = try netlink({ try session.readTable(family: desired.family, elements: false) }) else {
            throw OperationError.verifyFailed("table \(desired.family.rawValue) \(desired.name) is missing")
        }
        // A table left dormant (flags dormant: nothing hooked) would be a firewall switched off.
        guard light.table.flags == desired.flags else {
            throw OperationError.verifyFailed("table flags are \(light.table.flags.rawValue), expected \(desired.flags.rawValue)")
        }
        // By name: a chain the plan re-created is listed last (``Table/inNameOrder``).
        guard light.table.inNameOrder.chains == desired.inNameOrder.chains else {
            throw OperationError.verifyFailed("chains or rules differ from the plan")
        }
        let kernelSets = light.table.sets.map { "\($0.name) \($0.keyType) \($0.flags.rawValue)" }
        let desiredSets = desired.sets.map { "\($0.name) \($0.keyType) \($0.flags.rawValue)" }
        guard kernelSets.sorted() == desiredSets.sorted() else {
            throw OperationError.verifyFailed("sets \(kernelSets), expected \(desiredSets)")
        }
    }
}
