import ArgumentParser
import Engine

extension ExitCode {
    /// Invalid policy, arguments or input (nothing applied). For `plan` and `reconcile`, 2
    /// means ``changesPending`` instead, and invalid input is ``failure`` (1).
    static let invalidInput = ExitCode(2)
    /// `plan`: changes pending; `reconcile`: drift found and repaired.
    static let changesPending = ExitCode(2)
}

/// The one mapping from an engine, kernel or file failure to a message and an exit code:
/// prints `migfw COMMAND: error: ...` (a missing privilege is said as such) and returns
/// ``ExitCode/failure`` (1). Invalid input never gets here: it is refused, with exit 2 (1 for
/// plan and reconcile), before the kernel is touched.
func reportFailure(_ error: Error, command: String) -> ExitCode {
    if let engine = error as? EngineError, engine.isPermissionDenied {
        printError("migfw \(command): \(engine.description)")
    } else {
        printError("migfw \(command): error: \(errorText(error))")
    }
    return .failure
}
