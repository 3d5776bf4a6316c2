import ArgumentParser
import Engine

extension ExitCode {
    /// Invalid policy, arguments or input (nothing applied). For `plan` and `reconcile`, 2
    /// means ``changesPending`` instead, and invalid input is ``failure`` (1).
    static let invalidInput = ExitCode(2)
    /// `plan`: changes pending; `reconcile`: drift found and repaired.
    static let changesPending = ExitCode(2)
}

/// The one mapping from an engine, kernel or file failure to a message and an exit code.
/// Input refused before the kernel was touched (a missing interface, a lockout risk) is
/// ``ExitCode/invalidInput``, said as `LOCATION: error: ...` (the policy's file:line);
/// everything else prints `migfw COMMAND: error: ...` (a missing privilege is said as such)
/// and is ``ExitCode/failure`` (1).
func reportFailure(_ error: Error, command: String, location: String? = nil) -> ExitCode {
    if let risk = error as? LockoutGuard.Risk {
        printError("\(location.map { "\($0): " } ?? "")error: \(risk); nothing applied")
        return .invalidInput
    }
    if let engine = error as? EngineError, engine.isInvalidInput {
        printError("\(location.map { "\($0): " } ?? "")error: \(engine)")
        return .invalidInput
    }
    if let engine = error as? EngineError, engine.isPermissionDenied {
        printError("migfw \(command): \(engine.description)")
    } else {
        printError("migfw \(command): error: \(errorText(error))")
    }
    return .failure
}
