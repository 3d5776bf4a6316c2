import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Ruleset

/// `apply --confirm SECONDS` (like iptables-apply) as one engine operation.
///
/// Everything that could stop a rollback happens before the commit: the signal shield, the
/// snapshot to restore, the pending file. From the commit on, any failure, signal or missing
/// confirmation restores what the kernel held before. Only once the restore succeeded is the
/// rollback recorded (``RolledBackPolicy``, so reconcile does not put the refused ruleset
/// back) and the pending file removed: after a failed restore the pending file of a process
/// that is gone is what raises ``ProtectionAlert/unconfirmedApply(pid:pendingPath:)``. The
/// caller prints the rollback after ``run(_:_:seconds:keyboard:applied:prompt:)`` returns:
/// nothing it says can stop the restore.
public final class ConfirmedApply {
    /// How it ended.
    public enum Outcome {
        /// Confirmed: the new ruleset stays.
        case confirmed(Applier.Result)
        /// Not kept. `applied`: what the apply did before it was undone (nil: it failed);
        /// `failure`: the error that made it roll back (nil: not confirmed in time, or
        /// interrupted); `messages`: what the rollback did, in order, the last one saying
        /// whether the previous ruleset is back.
        case rolledBack(applied: Applier.Result?, failure: Error?, messages: [String])
    }

    /// The applier every commit and the restore go through.
    public let applier: Applier
    private let confirmation: Confirmation
    private let rolledBackPath: String
    private let shield: SignalShield
    private let previous: Applier.Snapshot
    /// The applier's own `beforeCommit` (tests set one), put back for the restore.
    private var callerBeforeCommit: ((Int) throws -> Void)?

    /// Raises the signal shield, takes the snapshot to restore and announces the pending
    /// confirmation in `stateDirectory`. Throws, with nothing committed, when any of these fails.
    public init(applier: Applier, stateDirectory: String, namespace: String?) throws {
        self.applier = applier
        shield = SignalShield()
        confirmation = Confirmation(stateDirectory: stateDirectory, namespace: namespace)
        rolledBackPath = RolledBackPolicy.path(directory: stateDirectory, namespace: namespace)
        previous = try applier.snapshot()
        try confirmation.begin()
    }

    /// Applies `desired` through ``applier`` with `options`, hands what it did to `applied`
    /// (to show it: before the pending file says the apply waits, so whoever watches that
    /// file finds the output complete), marks the pending file ready, calls `prompt`, and
    /// waits `seconds` for `migfw confirm` or, when `keyboard`, a line on standard input.
    /// Anything but a confirmation rolls back.
    public func run(_ desired: Table, _ options: ApplyOptions = ApplyOptions(), seconds: Double, keyboard: Bool,
                    applied show: (Applier.Result) -> Void = { _ in }, prompt: () -> Void) -> Outcome {
        let outcome: Confirmation.Outcome
        var applied: Applier.Result?
        let result: Applier.Result
        // Right before each batch goes out: from then on the kernel may hold the new ruleset.
        let earlier = applier.beforeCommit
        callerBeforeCommit = earlier
        let confirmation = self.confirmation
        applier.beforeCommit = { attempt in
            try earlier?(attempt)
            try confirmation.sending()
        }
        do {
            result = try applier.apply(desired, options)
            applied = result
            show(result)
            try confirmation.ready()
            prompt()
            outcome = confirmation.wait(seconds: seconds, keyboard: keyboard, shield: shield)
        } catch {
            // The commit may have happened (or its outcome is unknown): restore either way;
            // restoring what the kernel still holds changes nothing.
            return .rolledBack(applied: applied, failure: error, messages: rollBack(desired, reason: "the apply failed"))
        }
        switch outcome {
        case .confirmed:
            confirmation.end()
            RolledBackPolicy.forget(path: rolledBackPath)
            return .confirmed(result)
        case .timedOut:
            return .rolledBack(applied: applied, failure: nil,
                               messages: rollBack(desired, reason: "not confirmed within \(Int(seconds.rounded(.up))) s"))
        case .interrupted(let signal):
            return .rolledBack(applied: applied, failure: nil, messages: rollBack(
                desired, reason: "not confirmed (\(String(cString: strsignal(signal))) while waiting)"))
        }
    }

    /// Restores the snapshot (retrying a failed restore), then records the rollback when a
    /// batch went out, then ends the pending file. Returns what to tell.
    private func rollBack(_ desired: Table, reason: String) -> [String] {
        applier.afterCommit = nil
        applier.beforeCommit = callerBeforeCommit
        let sent = applier.batchesSent > 0
        var restored: Applier.Result?
        var failure: Error?
        for attempt in 1...3 {
            do {
                restored = try applier.restore(previous)
                break
            } catch {
                failure = error
                if attempt < 3 { usleep(200_000) }
            }
        }
        guard let restored else {
            let why = failure.map { ($0 as? EngineError)?.description ?? "\($0)" } ?? "unknown error"
            return ["migfw apply: \(reason), and the rollback FAILED: \(why); the unconfirmed ruleset is still loaded"]
        }
        var messages: [String] = []
        if sent {
            do {
                try RolledBackPolicy(digest: RulesetDigest.digest(desired), namespaceID: applier.namespaceID,
                                     reason: reason).save(path: rolledBackPath)
                messages.append("migfw apply: reconcile will change nothing until `migfw apply` applies a policy "
                                + "deliberately (or an `apply --confirm` is confirmed)")
            } catch {
                messages.append("migfw apply: cannot record the rollback (\(error)): a reconcile may apply this policy again")
            }
        }
        confirmation.end()
        messages.append("migfw apply: \(reason): "
                        + (!previous.retired.isEmpty
                           ? "restored table \(previous.retired.map(\.family.rawValue).joined(separator: ", ")) migfw (the mode change is undone)"
                           : previous.table == nil ? "deleted table \(applier.family.rawValue) migfw (there was none before)"
                           : "restored the previous ruleset (\(restored.plan.summary.changeCount) changes undone)"))
        return messages
    }
}
