import ArgumentParser
import Foundation
import Glibc

/// Every byte a command prints to standard output goes through here, so a full disk or a
/// closed pipe ends the run with a message and exit 1 instead of a crash or a silent exit 0.
enum StandardOutput {
    /// Writes `bytes` completely, or reports `migfw: cannot write output: <reason>` on
    /// standard error and exits 1.
    static func write<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws {
        // EPIPE must come back as an error here rather than kill the process.
        _ = ignoreBrokenPipe
        let array = Array(bytes)
        var written = 0
        while written < array.count {
            let result = array[written...].withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if result < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                FileHandle.standardError.write(Data("migfw: cannot write output: \(reason)\n".utf8))
                throw ExitCode(1)
            }
            written += result
        }
    }

    /// Writes `text` as UTF-8.
    static func write(_ text: String) throws {
        try write(Array(text.utf8))
    }

    private static let ignoreBrokenPipe: Void = { signal(SIGPIPE, SIG_IGN); return () }()
}
