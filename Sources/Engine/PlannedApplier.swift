import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Netlink
import Plan
import Ruleset

/// snapshot -> plan -> one batch carrying the snapshot's generation id -> retry on a stale id.
///
/// The plan-based counterpart of ``Applier``: only what differs is sent (an element-only
/// change is a few element messages, never a table rebuild), and when ``ApplyState`` proves
/// the kernel unchanged since migfw's last commit, the large sets are not dumped at all.
public final class PlannedApplier {
    /// A view of what the kernel holds, and the generation id it holds it at.
    public struct Snapshot: Sendable {
        /// migfw's table (nil: there is none).
        public var table: Table?
        public var generation: UInt32
        /// The sets' elements came from the state file, not from a dump.
        public var fromState: Bool
        /// migfw's tables of the other families (another mode's), which an apply deletes.
        public var otherTables: [TableFamily] = []
        /// Those tables' content, so a rollback (``restore(_:)``) can put them back.
        public var retired: [Table] = []
    }

    /// What an apply did.
    public struct Result: Sendable {
        /// The plan that was committed (empty: nothing was needed).
        public var plan: RulesetPlan
        /// What the kernel held before, for a rollback.
        public var previous: Snapshot
        /// Snapshots taken (1 + retries after a stale generation id).
        public var attempts: Int
        /// Whether a batch was committed.
        public var committed: Bool
        /// Where the time went: snapshot, plan, encode, kernel, verify, record (of the last
        /// attempt; earlier attempts are summed into "retries").
        public var phases = PhaseTimes()
    }

    public let namespace: String?
    /// The family of migfw's table this applier reads and writes (`inet`, or `bridge` for a
    /// bridged gateway): the desired table's.
    public let family: TableFamily
    public let statePath: String
    /// The namespace's identity (``ApplyState/namespaceID(_:)``), read once when the session
    /// was opened in it.
    public let namespaceID: UInt64
    /// Compare-and-swap attempts before giving up on a ruleset that keeps changing.
    public var maxAttempts = 5
    /// Called between the snapshot and the commit with the attempt number (tests inject a
    /// concurrent change here).
    public var beforeCommit: ((Int) throws -> Void)?
    /// Called with each plan just before it is sent, so what it is about to repair (a possible
    /// intrusion above all) is reported even if the commit or anything after it fails. An
    /// error thrown here stops the apply before anything is sent.
    public var willCommit: ((RulesetPlan) throws -> Void)?
    /// Called right after a commit, before the read-back (tests inject a failure here).
    public var afterCommit: (() throws -> Void)?

    private let session: NetlinkSession

    public init(namespace: String?, stateDirectory: String = ApplyState.defaultDirectory, family: TableFamily = .inet) throws {
        self.namespace = namespace
        self.family = family
        statePath = ApplyState.path(directory: stateDirectory, namespace: namespace)
        session = try netlink { try NetlinkSession(namespace: namespace) }
        namespaceID = ApplyState.namespaceID(namespace)
    }

    // MARK: - Reading

    /// Whether the kernel holds migfw's table.
    public func tableExists() throws -> Bool { try netlink { try session.tableExists(family: family) } }

    /// The kernel's ruleset generation id.
    public func generation() throws -> UInt32 { try netlink { try session.generation() } }

    /// The state file, if it belongs to this boot and namespace and nothing committed since.
    public func currentState(generation: UInt32) -> ApplyState? {
        guard let state = ApplyState.load(path: statePath), state.belongs(toNamespaceID: namespaceID),
              state.generation == generation
        else { return nil }
        return state
    }

    /// The sets of migfw's own last commit in this boot and namespace, whatever happened
    /// since (nil: no record).
    public func lastAppliedSets() -> [NamedSet]? {
        guard let state = ApplyState.load(path: statePath), state.belongs(toNamespaceID: namespaceID)
        else { return nil }
        return state.sets
    }

    /// The plan from `snapshot` to `desired`, with the addresses migfw itself applied last
    /// not flagged as a possible intrusion (``RulesetPlan/withdrawing(lastApplied:)``).
    public func plan(_ desired: Table, from snapshot: Snapshot) -> RulesetPlan {
        var plan = Planner.plan(desired: desired, actual: snapshot.table)
        plan.retiredTables = snapshot.otherTables
        if desired.sets.contains(where: { $0.name == NamedSet.protected4 || $0.name == NamedSet.protected6 }) {
            plan = plan.flaggingUnprotected(actual: snapshot.table,
                                            lastApplied: snapshot.fromState ? snapshot.table?.sets : lastAppliedSets())
        }
        guard !plan.unexpectedAddresses.isEmpty else { return plan }
        // A snapshot from the state file is migfw's last commit itself.
        let applied = snapshot.fromState ? snapshot.table?.sets : lastAppliedSets()
        return applied.map { plan.withdrawing(lastApplied: $0) } ?? plan
    }

    /// What the kernel holds. Uses the state file's elements when the generation id proves
    /// them current (`allowState`), else dumps everything; a dump that raced a commit (the
    /// generation id moved while reading) is read again.
    public func snapshot(allowState: Bool = true) throws -> Snapshot {
        var snapshot = try tableSnapshot(allowState: allowState)
        for other in Self.families where other != family {
            guard let table = try netlink({ try session.readTable(family: other) })?.table else { continue }
            snapshot.otherTables.append(other)
            snapshot.retired.append(table)
        }
        return snapshot
    }

    /// The families migfw's table can have (host mode and a routed gateway: `inet`; a
    /// bridged gateway: `bridge`).
    public static let families: [TableFamily] = [.inet, .bridge]

    private func tableSnapshot(allowState: Bool) throws -> Snapshot {
        return try netlink {
            if allowState, let light = try session.readTable(family: family, elements: false),
               let state = currentState(generation: light.generation),
               let table = Self.filling(light.table, from: state) {
                return Snapshot(table: table, generation: light.generation, fromState: true)
            }
            var last: Snapshot?
            var interrupted: NetlinkError?
            for _ in 0..<maxAttempts {
                do {
                    let before = try session.generation()
                    let full = try session.readTable(family: family)
                    let snapshot = Snapshot(table: full?.table, generation: full?.generation ?? before, fromState: false)
                    if try session.generation() == snapshot.generation { return snapshot }
                    last = snapshot
                } catch let error as NetlinkError {
                    // A dump the kernel flags as interrupted by a commit (EINTR): read again.
                    guard case .kernel(_, let code, _) = error, code == EINTR else { throw error }
                    interrupted = error
                }
            }
            // Still moving: plan on the last complete read (the batch's generation id rejects
            // it if stale), or give up if no read completed.
            if let last { return last }
            throw interrupted!
        }
    }

    /// `light` (read without elements) with the state's elements, if its sets are the same.
    static func filling(_ light: Table, from state: ApplyState) -> Table? {
        var table = light
        for index in table.sets.indices {
            let header = table.sets[index]
            guard let cached = state.sets.first(where: { $0.name == header.name }),
                  cached.flags == header.flags, cached.keyType == header.keyType
            else { return nil }
            table.sets[index].elements = cached.elements
        }
        return table
    }

    // MARK: - Applying

    /// Makes the kernel hold `desired`: plans against a snapshot, commits the plan in one
    /// batch carrying the snapshot's generation id, and on a stale id reads, plans and tries
    /// again, at most ``maxAttempts`` times. `allowState: false` dumps everything instead of
    /// trusting the state file's elements (reconcile --full). `record: false` leaves no state
    /// record behind (a rollback: what it restores is not migfw's own policy, and a record
    /// would excuse the foreign addresses in it from the intrusion check).
    public func apply(_ desired: Table, allowState: Bool = true, verify: Bool = true, record: Bool = true) throws -> Result {
        precondition(desired.family == family, "an applier of table \(family.rawValue) migfw was given a \(desired.family.rawValue) table")
        var first: Snapshot?
        var trustState = allowState
        var retried = 0.0
        // Computed once: it goes into the batch (table userdata) and into the state file.
        let digest = RulesetDigest.digest(desired)
        for attempt in 1...maxAttempts {
            var phases = PhaseTimes()
            let snapshot = try self.snapshot(allowState: trustState)
            phases.lap(snapshot.fromState ? "snapshot (state file)" : "snapshot (dump)")
            if first == nil { first = snapshot }
            let plan = self.plan(desired, from: snapshot)
            phases.lap("plan")
            if plan.isEmpty {
                if record { recordOrForget(desired, generation: snapshot.generation, digest: digest) }
                else { ApplyState.forget(path: statePath) }
                phases.lap("record")
                return Result(plan: plan, previous: first!, attempts: attempt, committed: false,
                              phases: Self.withRetries(retried, phases))
            }
            try beforeCommit?(attempt)
            try willCommit?(plan)
            let receipt: NetlinkSession.Receipt
            do {
                receipt = try netlink {
                    try session.send(Batch.carrying(plan, userdata: RulesetDigest.userdata(digest: digest)),
                                     expectedGeneration: snapshot.generation)
                }
            } catch EngineError.netlink(.generationChanged) {
                // Someone committed since the snapshot: the plan may be wrong. Start over,
                // but roll back to what the kernel held before migfw's first look.
                retried += phases.total
                continue
            } catch EngineError.netlink(let error) where snapshot.fromState && error.isRejection {
                // The kernel refused the batch, so nothing was applied (all or nothing). A plan
                // made from the state file that the kernel refuses means the record was wrong:
                // drop it, dump, plan again. Any other failure (no reply, a reply migfw cannot
                // read) leaves the outcome unknown, so it is not retried as "nothing happened".
                ApplyState.forget(path: statePath)
                trustState = false
                if attempt == maxAttempts { throw EngineError.netlink(error) }
                retried += phases.total
                continue
            }
            phases.lap("commit")
            phases.detail("encode", seconds: receipt.encodeSeconds)
            phases.detail("kernel", seconds: receipt.kernelSeconds)
            // The commit happened: the state file is only an optimisation, so failing to write
            // it must not fail the apply; a structure check that fails leaves no state behind
            // that the fast path could trust.
            do {
                try afterCommit?()
                if verify { try verifyStructure(desired) }
            } catch {
                ApplyState.forget(path: statePath)
                throw error
            }
            phases.lap(verify ? "verify" : "no verify")
            if record { recordOrForget(desired, generation: Self.generation(after: snapshot.generation), digest: digest) }
            else { ApplyState.forget(path: statePath) }
            phases.lap("record")
            return Result(plan: plan, previous: first!, attempts: attempt, committed: true,
                          phases: Self.withRetries(retried, phases))
        }
        throw OperationError.keptChanging(attempts: maxAttempts)
    }

    private static func withRetries(_ retried: Double, _ phases: PhaseTimes) -> PhaseTimes {
        guard retried > 0 else { return phases }
        var all = PhaseTimes()
        all.add("retries", seconds: retried)
        all.append(phases)
        return all
    }

    /// Puts back what `previous` held: its table, or no table at all, and migfw's tables of
    /// other families that the apply retired (a mode change), in the same transaction as
    /// the new table goes.
    public func restore(_ previous: Snapshot) throws -> Result {
        if !previous.retired.isEmpty {
            return try restoreRetired(previous)
        }
        guard let table = previous.table else {
            for attempt in 1...maxAttempts {
                let generation = try self.generation()
                guard try netlink({ try session.tableExists(family: family) }) else {
                    ApplyState.forget(path: statePath)
                    let empty = Planner.plan(desired: Table(), actual: Table())
                    return Result(plan: empty, previous: previous, attempts: attempt, committed: false)
                }
                do {
                    _ = try netlink { try session.send(Batch.delete(family: family), expectedGeneration: generation) }
                    ApplyState.forget(path: statePath)
                    let plan = Planner.plan(desired: Table(), actual: Table())
                    return Result(plan: plan, previous: previous, attempts: attempt, committed: true)
                } catch EngineError.netlink(.generationChanged) {
                    continue
                }
            }
            throw OperationError.keptChanging(attempts: maxAttempts)
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
        for attempt in 1...maxAttempts {
            let generation = try self.generation()
            var batches: [Batch] = []
            for (index, old) in previous.retired.enumerated() {
                var batch = Batch.create(old, replacing: try netlink { try session.tableExists(family: old.family) })
                if index == 0, previous.table == nil, try netlink({ try session.tableExists(family: family) }) {
                    batch.operations.insert(.deleteTableOfFamily(family), at: 0)
                }
                batches.append(batch)
            }
            do {
                // One table family per batch; a second retired table (never made by migfw
                // alone) follows in its own.
                var expected = generation
                for batch in batches {
                    _ = try netlink { try session.send(batch, expectedGeneration: expected) }
                    expected = Self.generation(after: expected)
                }
                ApplyState.forget(path: statePath)
                return Result(plan: empty, previous: previous, attempts: attempt, committed: true)
            } catch EngineError.netlink(.generationChanged) {
                continue
            }
        }
        throw OperationError.keptChanging(attempts: maxAttempts)
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
    private func verifyStructure(_ desired: Table) throws {
        guard let light = try netlink({ try session.readTable(family: desired.family, elements: false) }) else {
            throw OperationError.verifyFailed("table \(desired.family.rawValue) \(desired.name) is missing")
        }
        // A table left dormant (flags dormant: nothing hooked) would be a firewall switched off.
        guard light.table.flags == desired.flags else {
            throw OperationError.verifyFailed("table flags are \(light.table.flags.rawValue), expected \(desired.flags.rawValue)")
        }
        guard light.table.chains == desired.chains else {
            throw OperationError.verifyFailed("chains or rules differ from the plan")
        }
        let kernelSets = light.table.sets.map { "\($0.name) \($0.keyType) \($0.flags.rawValue)" }
        let desiredSets = desired.sets.map { "\($0.name) \($0.keyType) \($0.flags.rawValue)" }
        guard kernelSets.sorted() == desiredSets.sorted() else {
            throw OperationError.verifyFailed("sets \(kernelSets), expected \(desiredSets)")
        }
    }
}

extension NetlinkError {
    /// The kernel answered the batch with an error: nothing was committed. (No reply, or
    /// one migfw cannot read, leaves the outcome unknown.)
    public var isRejection: Bool {
        switch self {
        case .kernel, .permissionDenied: true
        default: false
        }
    }
}

extension PlannedApplier {
    /// Whether network interface `name` exists in `namespace` (nil: the current one).
    public static func interfaceExists(_ name: String, namespace: String?) throws -> Bool {
        try netlink { try NetworkNamespace.run(in: namespace) { NetworkNamespace.interfaceIndex(name) != nil } }
    }
}
