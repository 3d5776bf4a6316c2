/// What went wrong talking to the kernel. Every case says which stage failed; kernel
/// rejections carry errno, the kernel's extended-ACK text and the operation it rejected.
public enum NetlinkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed (`socket`, `setns`, `sendmsg`, ...).
    case system(call: String, errno: Int32)
    /// The caller lacks CAP_NET_ADMIN (or CAP_SYS_ADMIN for entering a namespace).
    case permissionDenied(operation: String)
    /// `/run/netns/NAME` does not exist.
    case namespaceNotFound(String)
    /// The kernel rejected one message of a batch or a request.
    case kernel(operation: String, errno: Int32, extack: String?)
    /// The batch's generation id was stale: someone changed the ruleset since it was read
    /// (ERESTART against the batch-begin message). Nothing was applied.
    case generationChanged
    /// The model cannot be encoded (e.g. a range in a non-interval set).
    case encoding(String)
    /// A reply could not be understood.
    case malformedReply(String)

    public var description: String {
        switch self {
        case .system(let call, let errno):
            return "\(call) failed: \(errnoText(errno))"
        case .permissionDenied(let operation):
            return "\(operation): permission denied: migfw needs CAP_NET_ADMIN (run as root)"
        case .namespaceNotFound(let name):
            return "network namespace \(name) not found (no /run/netns/\(name))"
        case .kernel(let operation, let errno, let extack):
            return "\(operation): \(errnoText(errno))" + (extack.map { ": \($0)" } ?? "")
        case .generationChanged:
            return "the ruleset changed while migfw was working (generation id mismatch); nothing was applied"
        case .encoding(let message):
            return "cannot encode: \(message)"
        case .malformedReply(let message):
            return "malformed netlink reply: \(message)"
        }
    }

    /// The errno, if the failure has one.
    public var errno: Int32? {
        switch self {
        case .system(_, let errno), .kernel(_, let errno, _): errno
        default: nil
        }
    }
}
