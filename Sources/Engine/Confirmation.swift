import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The hand-shake between `apply --confirm SECONDS` and `migfw confirm`, like iptables-apply:
/// apply writes a pending file (with its PID) and waits; `confirm` (from another shell, or
/// over the new SSH session that proves the ruleset does not lock the admin out) writes the
/// confirmed file; a line typed on apply's own terminal counts too. Nothing else does: a
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
        try OwnFiles.replace(pendingPath, with: "\(getpid())\n")
    }

    /// Confirms the waiting apply (what `migfw confirm` does). A pending file whose process
    /// is gone (the apply was killed) is removed and confirms nothing.
    public func confirm() throws(EngineError) {
        guard let fields = pendingFields() else { throw .nothingToConfirm(path: pendingPath) }
        let pid = fields.first.flatMap { Int32($0) } ?? 0
        guard pid > 0, Self.isRunning(pid) else {
            unlink(pendingPath)
            throw .staleConfirmation(path: pendingPath, pid: pid)
        }
        // Until the new ruleset is committed, a confirmation would vouch for nothing.
        guard fields.count > 1, fields[1] == Self.readyMark else { throw .notWaitingYet(path: pendingPath) }
        try OwnFiles.replace(confirmedPath, with: "")
    }

    /// The pending file's second word once the apply has committed and waits.
    static let readyMark = "ready"

    /// Marks the new ruleset as committed: from now on `migfw confirm` is accepted. Call
    /// after the commit, right before the prompt. Any confirmation file from before is
    /// dropped: it proved nothing about this ruleset.
    public func ready() throws(EngineError) {
        unlink(confirmedPath)
        try OwnFiles.replace(pendingPath, with: "\(getpid()) \(Self.readyMark)\n")
    }

    /// The process of a pending file whose apply is gone without confirming or rolling back
    /// (SIGKILL while it waited, a crash, a failed restore): the ruleset it loaded was never
    /// confirmed and may be the one that locks the admin out. Nil when no apply is pending
    /// or it is still running.
    public func abandonedApply() -> Int32? {
        guard let fields = pendingFields() else { return nil }
        let pid = fields.first.flatMap { Int32($0) } ?? 0
        return pid > 0 && Self.isRunning(pid) ? nil : pid
    }

    /// The pending file's words (`PID`, then `ready` once committed); nil when there is
    /// none, or it lies in a directory another account could write (then it proves nothing).
    private func pendingFields() -> [Substring]? {
        guard OwnFiles.isPrivateDirectory(OwnFiles.directoryPart(of: pendingPath)),
              let data = FileManager.default.contents(atPath: pendingPath) else { return nil }
        return String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
    }

    /// Removes a pending file whose apply is gone (``abandonedApply()``): a deliberate
    /// apply has just decided what the kernel holds. Returns its process id, if there was one.
    @discardableResult
    public func clearAbandoned() -> Int32? {
        guard let pid = abandonedApply() else { return nil }
        unlink(pendingPath)
        unlink(confirmedPath)
        return pid
    }

    /// Whether process `pid` exists (EPERM: it exists but belongs to someone else).
    static func isRunning(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
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
