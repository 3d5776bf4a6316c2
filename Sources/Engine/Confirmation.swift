import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The hand-shake between `apply --confirm SECONDS` and `migfw confirm`, like iptables-apply:
/// apply writes a pending file and waits; `confirm` (from another shell, or over the new
/// SSH session that proves the ruleset does not lock the admin out) writes the confirmed
/// file; a keypress on apply's own terminal counts too.
public struct Confirmation: Sendable {
    public let pendingPath: String
    public let confirmedPath: String

    public init(stateDirectory: String, namespace: String?) {
        let base = stateDirectory + "/confirm-" + (namespace ?? "default")
        pendingPath = base + ".pending"
        confirmedPath = base + ".ok"
    }

    /// Announces that an apply waits for confirmation.
    public func begin() throws(OperationError) {
        try? FileManager.default.removeItem(atPath: confirmedPath)
        do {
            try FileManager.default.createDirectory(atPath: (pendingPath as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data("\(getpid())\n".utf8).write(to: URL(fileURLWithPath: pendingPath))
        } catch {
            throw .writeFailed(path: pendingPath, reason: "\(error)")
        }
    }

    /// Confirms the waiting apply (what `migfw confirm` does).
    public func confirm() throws(OperationError) {
        guard FileManager.default.fileExists(atPath: pendingPath) else { throw .nothingToConfirm(path: pendingPath) }
        guard FileManager.default.createFile(atPath: confirmedPath, contents: Data()) else {
            throw .writeFailed(path: confirmedPath, reason: "cannot create")
        }
    }

    /// Waits up to `seconds` for `migfw confirm` or, when `keyboard`, a line on standard
    /// input. True when confirmed.
    public func wait(seconds: Double, keyboard: Bool) -> Bool {
        defer { end() }
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: confirmedPath) { return true }
            if keyboard {
                var descriptor = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
                if poll(&descriptor, 1, 100) > 0 {
                    _ = readLine()
                    return true
                }
            } else {
                usleep(100_000)
            }
        }
        return FileManager.default.fileExists(atPath: confirmedPath)
    }

    /// Removes both files.
    public func end() {
        try? FileManager.default.removeItem(atPath: pendingPath)
        try? FileManager.default.removeItem(atPath: confirmedPath)
    }
}
