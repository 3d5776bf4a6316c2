import ArgumentParser
import Engine

/// Standard output for what a command produces (a plan, compiled rules, prefixes, a
/// status): a full disk or a closed pipe ends the run with a message and exit 1 instead of
/// a crash or a silent exit 0. Lines that only report on work already done go through
/// ``Console/say(_:)``, and messages through ``printError(_:)``; both never trap.
enum StandardOutput {
    /// Writes `text` completely, or reports `migfw: cannot write output: <reason>` on
    /// standard error and exits 1.
    static func write(_ text: String) throws {
        do { try Console.write(text) } catch {
            Console.error("migfw: \(error)")
            throw ExitCode.failure
        }
    }

    /// Writes `bytes` completely, or fails as ``write(_:)-(String)`` does.
    static func write(_ bytes: [UInt8]) throws {
        do { try Console.write(bytes) } catch {
            Console.error("migfw: \(error)")
            throw ExitCode.failure
        }
    }
}
