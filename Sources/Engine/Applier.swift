import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Netlink
import Plan
import Ruleset

/// The one apply engine: snapshot -> plan -> one batch carrying the snapshot's generation id
/// -> verify -> record, retried on a stale id.
///
/// A missing table is a plan that creates it whole; `--rebuild` (``ApplyOptions/Mode/replace``)
/// is a plan that deletes and creates it in the same batch. Otherwise only what differs is
/// sent (an element-only change is a few element messages), and when ``ApplyState`` proves
/// the kernel unchanged since migfw's last commit, the large sets are not dumped at all.
public final class Applier {
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

    /// What an apply did: the one result of every path (plan, create, replace, restore).
    public struct Result: Sendable {
        /// The plan that was committed, or found (empty: nothing was needed).
        public var plan: RulesetPlan
        /// Snapshots taken (1 + retries after a stale generation id).
        public var attempts: Int
        /// Whether a batch was committed.
        public var committed: Bool
        /// The table was deleted and created whole in the batch (``ApplyOptions/Mode/replace``
        /// over an existing table).
        public var replaced = false
        /// What the batch cost (nil: nothing was sent).
        public var receipt: NetlinkSession.Receipt?
        /// How the commit was read back (``Verification/none``: not at all, or nothing was sent).
        public var verification = Verification.none
        /// The rollback hold that stopped a non-empty plan before anything was sent.
        public var held: RolledBackPolicy?
        /// Where the time went: snapshot, plan, commit (encode, kernel), verify, record (of
        /// the last attempt; earlier attempts are summed into "retries").
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
    public var maxAttempts = maximumCommitAttempts
    /// Called between the snapshot and the commit with the attempt number (kernel tests make
    /// a concurrent change here).
    public var beforeCommit: ((Int) throws -> Void)?
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

    /// Makes the kernel hold `desired` (see ``ApplyOptions``): plans against a snapshot,
    /// commits the plan in one batch carrying the snapshot's generation id, reads it back,
    /// records it; on a stale id reads, plans and tries again, at most ``maxAttempts`` times.
    /// A plan made from the state file that the kernel refuses is made again from a dump.
    /// `planned` sees every non-empty plan before it is sent (again after a retry), so what
    /// it is about to repair, a possible intrusion above all, is reported even when the
    /// commit fails or a hold stops it.
    public func apply(_ desired: Table, _ options: ApplyOptions = ApplyOptions(),
                      planned: (RulesetPlan) -> Void = { _ in }) throws -> Result {
        precondition(desired.family == family, "an applier of table \(family.rawValue) migfw was given a \(desired.family.rawValue) table")
        var trustState = options.trustState && options.mode == .plan
        var retried = PhaseTimes()
        // Computed once: it goes into the batch (table userdata) and into the state file.
        let digest = RulesetDigest.digest(desired)
        var sent = desired
        sent.userdata = RulesetDigest.userdata(digest: digest)
        return try withGenerationRetry(attempts: maxAttempts) { attempt in
            var phases = PhaseTimes()
            defer { retried.add("retries", seconds: phases.total) }
            let snapshot = try self.snapshot(allowState: trustState, elements: options.mode == .plan)
            phases.lap(options.mode == .replace ? "snapshot (no elements)" : snapshot.fromState ? "snapshot (state file)" : "snapshot (dump)")
            let plan = options.mode == .replace ? replacement(desired, from: snapshot) : self.plan(desired, from: snapshot)
            phases.lap("plan")
            var result = Result(plan: plan, attempts: attempt, committed: false)
            if plan.isEmpty {
                options.record ? recordOrForget(desired, generation: snapshot.generation, digest: digest) : ApplyState.forget(path: statePath)
                phases.lap("record")
                result.phases = Self.withRetries(retried, phases)
                return result
            }
            planned(plan)
            if let hold = options.hold {
                result.held = hold
                result.phases = Self.withRetries(retried, phases)
                return result
            }
            try beforeCommit?(attempt)
            phases.lap("report")
            let replacing = options.mode == .replace && snapshot.table != nil
            batchesSent += 1
            do {
                result.receipt = try session.send(Batch.carrying(plan, userdata: sent.userdata, replacing: replacing),
                                                  expectedGeneration: snapshot.generation)
            } catch let error as NetlinkError where snapshot.fromState && error.isRejection {
                // The kernel refused the batch, so nothing was applied (all or nothing). A plan
                // made from the state file that the kernel refuses means the record was wrong:
                // drop it, dump, plan again. Any other failure (no reply, a reply migfw cannot
                // read) leaves the outcome unknown, so it is not retried as "nothing happened".
                phases.lap("commit (refused)")
                ApplyState.forget(path: statePath)
                trustState = false
                throw RetryAfterRefusal(cause: error)
            } catch {
                // Counted into "retries" when the loop tries again (a stale generation id).
                phases.lap("commit (not applied)")
                throw error
            }
            phases.lap("commit")
            phases.detail("encode", seconds: result.receipt?.encodeSeconds ?? 0)
            phases.detail("kernel", seconds: result.receipt?.kernelSeconds ?? 0)
            result.committed = true
            result.replaced = replacing
            result.verification = options.verification ?? (plan.tableMissing ? .full : .structure)
            // A failed check leaves no state behind that the fast path could trust.
            do {
                try afterCommit?()
                try Verifier.verify(sent, level: result.verification, created: plan.tableMissing, session: session)
            } catch {
                ApplyState.forget(path: statePath)
                throw error
            }
            phases.lap(result.verification == .none ? "no verify" : "verify (\(result.verification.rawValue))")
            // The commit happened: the state file is only an optimisation, so failing to write
            // it does not fail the apply.
            let generation = Self.generation(after: snapshot.generation)
            options.record ? recordOrForget(desired, generation: generation, digest: digest) : ApplyState.forget(path: statePath)
            phases.lap("record")
            result.phases = Self.withRetries(retried, phases)
            return result
        }
    }

    /// The plan that creates `desired` whole, whatever the kernel holds (`--rebuild`).
    func replacement(_ desired: Table, from snapshot: Snapshot) -> RulesetPlan {
        var plan = Planner.plan(desired: desired, actual: nil)
        plan.retiredTables = snapshot.otherTables
        return plan
    }

    /// `phases`, after the time of the attempts before it (summed into "retries").
    private static func withRetries(_ retried: PhaseTimes, _ phases: PhaseTimes) -> PhaseTimes {
        let earlier = retried.total
        guard earlier > 0 else { return phases }
        var all = PhaseTimes()
        all.add("retries", seconds: earlier)
        all.append(phases)
        return all
    }
}

/// How ``Applier/apply(_:_:planned:)`` goes about it.
public struct ApplyOptions: Sendable {
    /// What the batch does.
    public enum Mode: Sendable {
        /// Only what differs from the kernel (a missing table: created whole).
        case plan
        /// Delete migfw's table (if any) and create it whole, in one batch (`--rebuild`).
        case replace
    }

    public var mode: Mode
    /// Plan from the state file's elements when the generation id proves them current;
    /// false dumps everything (reconcile --full).
    public var trustState: Bool
    /// How much to read back (nil: ``Verification/full`` when the batch created the table,
    /// ``Verification/structure`` for a plan on an existing one).
    public var verification: Verification?
    /// Keep a state record of the commit. False for a rollback: what it restores is not
    /// migfw's own policy, and a record would excuse the foreign addresses in it from the
    /// intrusion check.
    public var record: Bool
    /// The `apply --confirm` rollback in force: a non-empty plan is reported and not sent
    /// (``Applier/Result/held``).
    public var hold: RolledBackPolicy?

    public init(mode: Mode = .plan, trustState: Bool = true, verification: Verification? = nil,
                record: Bool = true, hold: RolledBackPolicy? = nil) {
        self.mode = mode
        self.trustState = trustState
        self.verification = verification
        self.record = record
        self.hold = hold
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
