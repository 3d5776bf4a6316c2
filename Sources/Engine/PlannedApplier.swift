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
    /// Batches handed to the kernel so far (sent, or possibly sent when the send failed):
    /// after a failure, nonzero means the kernel may have changed.
    public internal(set) var batchesSent = 0

    let session: KernelSession

    /// An applier for the kernel of network namespace `namespace` (nil: the current one).
    public convenience init(namespace: String?, stateDirectory: String = ApplyState.defaultDirectory,
                            family: TableFamily = .inet) throws {
        let session = try netlink { try NetlinkSession(namespace: namespace) }
        self.init(session: session, namespace: namespace, namespaceID: ApplyState.namespaceID(namespace),
                  stateDirectory: stateDirectory, family: family)
    }

    /// An applier talking to `session` (the engine's seam in front of the kernel: tests pass
    /// an in-memory kernel), keeping its records for the namespace known as `namespace` and
    /// identified by `namespaceID` in `stateDirectory`.
    public init(session: KernelSession, namespace: String?, namespaceID: UInt64,
                stateDirectory: String = ApplyState.defaultDirectory, family: TableFamily = .inet) {
        self.namespace = namespace
        self.family = family
        self.session = session
        self.namespaceID = namespaceID
        statePath = ApplyState.path(directory: stateDirectory, namespace: namespace)
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
        var trustState = allowState
        var retried = 0.0
        // Computed once: it goes into the batch (table userdata) and into the state file.
        let digest = RulesetDigest.digest(desired)
        for attempt in 1...maxAttempts {
            var phases = PhaseTimes()
            let snapshot = try self.snapshot(allowState: trustState)
            phases.lap(snapshot.fromState ? "snapshot (state file)" : "snapshot (dump)")
            let plan = self.plan(desired, from: snapshot)
            phases.lap("plan")
            if plan.isEmpty {
                if record { recordOrForget(desired, generation: snapshot.generation, digest: digest) }
                else { ApplyState.forget(path: statePath) }
                phases.lap("record")
                return Result(plan: plan, attempts: attempt, committed: false,
                              phases: Self.withRetries(retried, phases))
            }
            try beforeCommit?(attempt)
            try willCommit?(plan)
            let receipt: NetlinkSession.Receipt
            batchesSent += 1
            do {
                receipt = try netlink {
                    try session.send(Batch.carrying(plan, userdata: RulesetDigest.userdata(digest: digest)),
                                     expectedGeneration: snapshot.generation)
                }
            } catch EngineError.netlink(.generationChanged) {
                // Someone committed since the snapshot: the plan may be wrong. Read, plan
                // and send again.
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
            return Result(plan: plan, attempts: attempt, committed: true,
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
