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
        do {
            try FileHandle.standardOutput.write(contentsOf: Data(bytes))
        } catch {
            // Foundation wraps the errno (a CocoaError with the POSIX error underneath): the
            // C library's text for it is the message people know ("No space left on device").
            let outer = error as NSError
            let posix = [outer.userInfo[NSUnderlyingErrorKey] as? NSError, outer]
                .compactMap { $0 }.first { $0.domain == NSPOSIXErrorDomain }
            let reason = posix.map { String(cString: strerror(Int32($0.code))) } ?? outer.localizedDescription
            FileHandle.standardError.write(Data("migfw: cannot write output: \(reason)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Writes `text` as UTF-8.
    static func write(_ text: String) throws {
        try write(Array(text.utf8))
    }

    private static let ignoreBrokenPipe: Void = { signal(SIGPIPE, SIG_IGN); return () }()
}
