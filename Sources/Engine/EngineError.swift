import Netlink

/// Why an engine command failed. The CLI maps these to exit codes.
public enum EngineError: Error, CustomStringConvertible {
    /// Talking to the kernel failed (includes missing privileges).
    case netlink(NetlinkError)
    /// The kernel committed the batch but does not hold exactly the model.
    case verificationFailed(String)

    public var description: String {
        switch self {
        case .netlink(let error):
            return error.description
        case .verificationFailed(let detail):
            return "read-back verification failed: the kernel does not hold the applied ruleset: \(detail)"
        }
    }

    /// Whether the failure is a missing privilege (a clearer message, same exit code).
    public var isPermissionDenied: Bool {
        if case .netlink(.permissionDenied) = self { return true }
        return false
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
