import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The hand-shake between `apply --confirm SECONDS` and `migfw confirm`, like iptables-apply:
/// apply writes a pending file (its pid and start time, ``ProcessIdentity``, then a stage:
/// `sending` right before its batch goes out, `ready` once committed) and waits; `confirm`
/// (from another shell, or over the new SSH session that proves the ruleset does not lock
/// the admin out) writes the confirmed file; a line typed on apply's own terminal counts too. Nothing else does: a
/// hang-up, a closed standard input or a signal means "not confirmed".
public struct Confirmation: Sendable {
    /// How waiting ended.
    public enum Outcome: Equatable, Sendable {
        case confirmed
        case timedOut
        /// SIGINT or SIGTERM arrived (see ``SignalShield``).
        case interrupted(signal: Int32)
    }

    public let pendingPath: String
    public let confirmedPath: String

    public init(stateDirectory: String, namespace: String?) {
        let base = stateDirectory + "/confirm-" + (namespace ?? "default")
        pendingPath = base + ".pending"
        confirmedPath = base + ".ok"
    }

    /// Announces that an apply waits for confirmation. Called BEFORE the commit, so a file
    /// that cannot be written stops the apply while nothing has changed. The directory must
    /// be private to root (``OwnFiles/requirePrivateDirectory(_:)``): whoever could write
    /// there could confirm a ruleset that locks the admin out.
    public func begin() throws(EngineError) {
        try OwnFiles.requirePrivateDirectory(OwnFiles.directoryPart(of: pendingPath))
        unlink(confirmedPath)
        try OwnFiles.replace(pendingPath, with: "\(ProcessIdentity.current)\n")
    }

    /// Marks that the batch is about to go out: from now on the kernel may change, so an
    /// apply killed after this point leaves an unconfirmed ruleset (an alert); one killed
    /// before it changed nothing (no alert).
    public func sending() throws(EngineError) {
        try OwnFiles.replace(pendingPath, with: "\(ProcessIdentity.current) \(Self.sendingMark)\n")
    }

    /// Confirms the waiting apply (what `migfw confirm` does). A pending file whose process
    /// is gone (the apply was killed) is removed and confirms nothing.
    public func confirm() throws(EngineError) {
        guard let pending = pending() else { throw .nothingToConfirm(path: pendingPath) }
        guard pending.process.isAlive else {
            unlink(pendingPath)
            throw .staleConfirmation(path: pendingPath, pid: pending.process.pid)
        }
        // Until the new ruleset is committed, a confirmation would vouch for nothing.
        guard pending.stage == Self.readyMark else { throw .notWaitingYet(path: pendingPath) }
        try OwnFiles.replace(confirmedPath, with: "")
    }

    /// The pending file's stage once the apply has committed and waits.
    static let readyMark = "ready"
    /// The pending file's stage from right before the batch goes out.
    static let sendingMark = "sending"

    /// Marks the new ruleset as committed: from now on `migfw confirm` is accepted. Call
    /// after the commit, right before the prompt. Any confirmation file from before is
    /// dropped: it proved nothing about this ruleset.
    public func ready() throws(EngineError) {
        unlink(confirmedPath)
        try OwnFiles.replace(pendingPath, with: "\(ProcessIdentity.current) \(Self.readyMark)\n")
    }

    /// The process of a pending file whose apply is gone without confirming or rolling back
    /// (SIGKILL while it waited, a crash, a failed restore): the ruleset it loaded was never
    /// confirmed and may be the one that locks the admin out. Nil when no apply is pending,
    /// it is still running (the same process: a reused pid or a zombie is not), or it ended
    /// before its batch went out (the kernel never changed).
    public func abandonedApply() -> Int32? {
        guard let pending = pending(), !pending.process.isAlive else { return nil }
        // A file without a stage was written before the batch could go out: unless it comes
        // from an older migfw (no start time, no `sending` stage), nothing was sent.
        let mayHaveSent = pending.stage != nil || pending.process.startTime == nil
        return mayHaveSent ? pending.process.pid : nil
    }

    /// The pending file: whose it is and its stage (nil before the batch goes out); nil when
    /// there is none, or it lies in a directory another account could write (then it proves
    /// nothing). Reads `PID START [STAGE]`, and an older migfw's `PID [ready]`.
    private func pending() -> (process: ProcessIdentity, stage: String?)? {
        guard OwnFiles.isPrivateDirectory(OwnFiles.directoryPart(of: pendingPath)),
              let data = FileManager.default.contents(atPath: pendingPath) else { return nil }
        var words = String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
        let pid = words.isEmpty ? 0 : Int32(words.removeFirst()) ?? 0
        let start = words.first.flatMap { UInt64($0) }
        if start != nil { words.removeFirst() }
        return (ProcessIdentity(pid: pid, startTime: start), words.first.map(String.init))
    }

    /// Removes a pending file whose apply is gone (``abandonedApply()``): a deliberate
    /// apply has just decided what the kernel holds. Returns its process id, if there was one.
    @discardableResult
    public func clearAbandoned() -> Int32? {
        guard let pending = pending(), !pending.process.isAlive else { return nil }
        let pid = abandonedApply()
        unlink(pendingPath)
        unlink(confirmedPath)
        return pid
    }

    /// Waits up to `seconds` for `migfw confirm` or, when `keyboard`, a line on standard
    /// input; stops early when `shield` caught SIGINT/SIGTERM/SIGQUIT. End of input or a
    /// hang-up on the terminal only stops listening to it. The files stay until ``end()``:
    /// the caller ends them once the outcome is settled (a rollback restored, say).
    public func wait(seconds: Double, keyboard: Bool, shield: SignalShield) -> Outcome {
        let deadline = Date().addingTimeInterval(seconds)
        var listening = keyboard
        while Date() < deadline {
            if let signal = shield.received { return .interrupted(signal: signal) }
            if FileManager.default.fileExists(atPath: confirmedPath) { return .confirmed }
            if listening {
                var descriptor = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
                if poll(&descriptor, 1, 100) > 0 {
                    let events = Int32(descriptor.revents)
                    if events & Int32(POLLIN) != 0, readLine() != nil { return .confirmed }
                    // EOF, POLLHUP, POLLERR or POLLNVAL: the terminal is gone, not a "yes".
                    if events & Int32(POLLIN) != 0 || events & Int32(POLLHUP | POLLERR | POLLNVAL) != 0 {
                        listening = false
                    }
                }
            } else {
                usleep(100_000)
            }
        }
        if let signal = shield.received { return .interrupted(signal: signal) }
        return FileManager.default.fileExists(atPath: confirmedPath) ? .confirmed : .timedOut
    }

    /// Removes both files.
    public func end() {
        unlink(pendingPath)
        unlink(confirmedPath)
    }
}
