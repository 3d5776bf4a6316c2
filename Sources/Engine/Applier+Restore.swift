import Netlink
import Plan
import Ruleset

/// Putting back what a snapshot held (a rollback), and the record of what was committed.
extension Applier {
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
                let receipt = try session.send(Batch.delete(family: family), expectedGeneration: generation)
                return Result(plan: empty, attempts: attempt, committed: true, receipt: receipt)
            }
        }
        // Recorded only when migfw's own record was what it restores (a dump may hold foreign elements).
        return try apply(table, ApplyOptions(record: previous.fromState))
    }

    /// Re-creates the tables a mode change retired; deletes this family's table when
    /// `previous` had none, in the same batch (else it is restored first, then the others).
    private func restoreRetired(_ previous: Snapshot) throws -> Result {
        if let table = previous.table {
            _ = try apply(table, ApplyOptions(record: false))
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

    /// ``record(_:generation:digest:)``, or when the state cannot be written, no state at all
    /// (a stale one would mislead the fast path; none only costs a full check).
    public func recordOrForget(_ table: Table, generation: UInt32, digest: UInt64? = nil) {
        do { try record(table, generation: generation, digest: digest) } catch { ApplyState.forget(path: statePath) }
    }
}
