import ArgumentParser
import Engine
import Foundation

/// Shared by apply, status and delete: print an engine failure and map it to the exit code
/// (2 invalid input, 1 everything else, missing privileges included).
func exitForKernelFailure(_ error: Error, command: String) -> ExitCode {
    let message: String
    var code: Int32 = 1
    switch error {
    case let engine as EngineError:
        if case .interfaceMissing = engine {
            code = 2
            message = engine.description
        } else if engine.isPermissionDenied {
            message = "migfw \(command): \(engine.description)"
        } else {
            message = "migfw \(command): error: \(engine.description)"
        }
    default:
        message = "migfw \(command): error: \(error)"
    }
    printError(message)
    return ExitCode(code)
}

/// Milliseconds, for humans.
func milliseconds(_ seconds: Double) -> String { "\(Int((seconds * 1000).rounded())) ms" }
