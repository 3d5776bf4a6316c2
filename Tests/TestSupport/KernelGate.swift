import Foundation
import Testing

/// Kernel tests (network namespaces, nftables) need root. Without it they are skipped,
/// loudly; when `MIGFW_REQUIRE_KERNEL_TESTS=1` (CI sets it) a skip becomes a failure.
public enum KernelGate {
    public static var isRoot: Bool { geteuid() == 0 }
    public static var required: Bool {
        ProcessInfo.processInfo.environment["MIGFW_REQUIRE_KERNEL_TESTS"] == "1"
    }

    /// Whether kernel tests may run. Use as `.enabled(if: KernelGate.available)`.
    public static var available: Bool {
        if isRoot { return true }
        if !warned {
            FileHandle.standardError.write(Data(
                "WARNING: migfw kernel tests SKIPPED: they need root (network namespaces, nftables)\n".utf8))
        }
        return required  // run anyway, and fail, when CI demands them
    }
    nonisolated(unsafe) private static var warned = false
}
