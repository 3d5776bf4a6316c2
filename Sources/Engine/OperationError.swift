#if canImport(Glibc)
import Glibc
#endif

/// Failures of plan-based apply, confirm, reconcile and their files (lock, state, metrics).
/// Kernel failures stay ``Netlink/NetlinkError``; policy failures stay the policy's errors.
public enum OperationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Another run holds the lock and did not finish in time.
    case lockTimeout(path: String, seconds: Double)
    /// The lock file could not be opened or locked.
    case lockFailed(path: String, errno: Int32)
    /// The ruleset kept changing between snapshot and commit.
    case keptChanging(attempts: Int)
    /// The kernel held something other than the plan's result after a commit.
    case verifyFailed(String)
    /// A file migfw writes (metrics, state, confirmation) could not be written.
    case writeFailed(path: String, reason: String)
    /// `migfw confirm` found a pending file whose apply is no longer running (killed).
    case staleConfirmation(path: String, pid: Int32)
    /// `migfw confirm` found no apply waiting for confirmation.
    case nothingToConfirm(path: String)
    /// An apply is running but has not committed its ruleset yet (`migfw confirm` came early).
    case notWaitingYet(path: String)
    /// A directory for migfw's records that another account could change (``OwnFiles``).
    case unsafeDirectory(path: String, reason: String)
    /// A file migfw opens in place (the lock) that is not its own plain file.
    case unsafeFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .lockTimeout(let path, let seconds):
            "another migfw run holds \(path); gave up after waiting \(seconds.formatted2) s"
        case .lockFailed(let path, let errno):
            "cannot lock \(path): \(String(cString: strerror(errno)))"
        case .keptChanging(let attempts):
            "the ruleset changed under migfw \(attempts) times in a row (generation id mismatch each time); "
                + "nothing was applied. Another tool is writing nftables: retry later"
        case .verifyFailed(let what):
            "after the commit the kernel does not hold the planned ruleset: \(what)"
        case .writeFailed(let path, let reason):
            "cannot write \(path): \(reason)"
        case .staleConfirmation(let path, let pid):
            "no apply is waiting for confirmation: \(path) names process \(pid), which is not running "
                + "(a killed apply); removed it. Check the ruleset with `migfw status`"
        case .nothingToConfirm(let path):
            "no apply is waiting for confirmation (no \(path))"
        case .notWaitingYet(let path):
            "the apply announced in \(path) has not committed its ruleset yet; confirm again in a moment"
        case .unsafeDirectory(let path, let reason):
            "refusing to keep migfw's records in \(path): \(reason); use a directory only root can write "
                + "(--state-dir)"
        case .unsafeFile(let path, let reason):
            "refusing to use \(path): \(reason)"
        }
    }
}

extension Double {
    /// `5` or `2.5`: seconds in messages without trailing zeros.
    var formatted2: String {
        self == rounded() ? String(Int(self)) : String((self * 100).rounded() / 100)
    }
}
