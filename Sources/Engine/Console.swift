import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Standard output and standard error, for every command and the event log.
///
/// Nothing here can trap or kill the process: a closed descriptor, a pipe whose reader is
/// gone (SIGPIPE is ignored: EPIPE comes back as an error) or a full disk is an error value,
/// never a crash, so a failure to print can never stop migfw halfway (before an
/// `apply --confirm` rollback, above all). Writes go straight to the descriptor, unbuffered,
/// so a prompt is visible at once also through a pipe.
public enum Console {
    /// Why a write to standard output failed, in the C library's words.
    public struct WriteFailure: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { "cannot write output: \(reason)" }
    }

    /// Call first thing in `main`: a descriptor 0-2 that the parent left closed is opened
    /// on /dev/null, so no file migfw opens later (the run lock, say) becomes "standard
    /// error" and receives its messages; SIGPIPE is ignored from then on.
    public static func prepareStandardDescriptors() {
        for descriptor in Int32(0)...2 where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
            // open() returns the lowest free descriptor: the closed one.
            let opened = open("/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY)
            if opened >= 0, opened != descriptor { close(opened) }
        }
        signal(SIGPIPE, SIG_IGN)
    }

    /// Writes `text` to standard output completely, or throws.
    public static func write(_ text: String) throws(WriteFailure) {
        try write(Array(text.utf8))
    }

    /// Writes `bytes` to standard output completely, or throws.
    public static func write(_ bytes: [UInt8]) throws(WriteFailure) {
        if let reason = send(bytes, to: STDOUT_FILENO) { throw WriteFailure(reason: reason) }
    }

    /// Writes `text` to standard output if it can; returns whether it did. For lines that
    /// report on work already done (an apply's summary): failing to show them must not
    /// change what was done or the exit status that says so.
    @discardableResult
    public static func say(_ text: String) -> Bool {
        send(Array(text.utf8), to: STDOUT_FILENO) == nil
    }

    /// Writes `line` and a newline to standard error if it can (a closed stderr loses the
    /// line, nothing else).
    public static func error(_ line: String) {
        _ = send(Array((line + "\n").utf8), to: STDERR_FILENO)
    }

    /// Writes all of `bytes` to `descriptor`; nil, or the reason it could not.
    private static func send(_ bytes: [UInt8], to descriptor: Int32) -> String? {
        _ = ignoreBrokenPipe
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        do {
            try handle.write(contentsOf: Data(bytes))
            return nil
        } catch {
            return OwnFiles.posixText(error)
        }
    }

    private static let ignoreBrokenPipe: Void = { signal(SIGPIPE, SIG_IGN); return () }()
}
