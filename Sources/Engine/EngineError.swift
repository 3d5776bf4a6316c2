#if canImport(Glibc)
import Glibc
#endif
import Netlink

/// Why an engine operation failed: the one error type of apply, plan, reconcile, confirm,
/// status and their files. A kernel failure keeps its cause (``netlink(_:)``); the CLI maps
/// every case to a message and an exit code in one place. Policy failures stay the policy's
/// own errors (they carry file and line).
public enum EngineError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Talking to the kernel failed (missing privileges included); the kernel's own error.
    case netlink(NetlinkError)
    /// The kernel accepted the commit but does not hold what was sent.
    case verificationFailed(String)
    /// The ruleset changed under migfw this many times in a row (a stale generation id
    /// each time): nothing was applied.
    case keptChanging(attempts: Int)
    /// The policy's interface does not exist in `place` (and missing interfaces are not allowed).
    case interfaceMissing(name: String, place: String)
    /// The policy's interface is a port of `master` (a `kind`: bridge, bond, VRF): its IP
    /// traffic arrives under the master's name, so rules for it would filter nothing.
    case interfaceEnslaved(name: String, master: String, kind: String)
    /// Another run holds the lock and did not finish in time.
    case lockTimeout(path: String, seconds: Double)
    /// The lock file could not be opened or locked.
    case lockFailed(path: String, errno: Int32)
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
        case .netlink(let error):
            error.description
        case .verificationFailed(let detail):
            "read-back verification failed: the kernel does not hold the applied ruleset: \(detail)"
        case .keptChanging(let attempts):
            "the ruleset changed under migfw \(attempts) times in a row (generation id mismatch each time); "
                + "nothing was applied. Another tool is writing nftables: retry later"
        case .interfaceMissing(let name, let place):
            "interface \"\(name)\" does not exist in \(place); nothing applied"
        case .interfaceEnslaved(let name, let master, let kind):
            "interface \"\(name)\" is a port of \(kind) \"\(master)\": its IP traffic arrives as \(master)'s, so rules "
                + "for \(name) would filter nothing; name \(master) instead. Nothing applied"
        case .lockTimeout(let path, let seconds):
            "another migfw run holds \(path); gave up after waiting \(seconds.formatted2) s"
        case .lockFailed(let path, let errno):
            "cannot lock \(path): \(String(cString: strerror(errno)))"
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

    /// Whether the failure is a missing privilege (a clearer message, same exit code).
    public var isPermissionDenied: Bool {
        if case .netlink(.permissionDenied) = self { return true }
        return false
    }

    /// Whether the input was refused before the kernel was touched (an interface that is
    /// not there): the CLI's "invalid input" exit code.
    public var isInvalidInput: Bool {
        switch self {
        case .interfaceMissing, .interfaceEnslaved: return true
        default: return false
        }
    }
}

/// Runs `body`, wrapping netlink errors.
func netlink<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as NetlinkError {
        throw EngineError.netlink(error)
    }
}

extension Double {
    /// `5` or `2.5`: seconds in messages without trailing zeros.
    var formatted2: String {
        self == rounded() ? String(Int(self)) : String((self * 100).rounded() / 100)
    }
}
