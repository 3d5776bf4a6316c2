import Foundation

/// A process told apart from a later one that reuses its id: its pid and its start time
/// (`/proc/PID/stat` field 22, clock ticks since boot). pid_max wraps (32768 on many hosts),
/// so a pid alone can name another user's process a minute later.
public struct ProcessIdentity: Hashable, Sendable, CustomStringConvertible {
    public var pid: Int32
    /// Nil when unknown (a pending file written by an older migfw).
    public var startTime: UInt64?

    public init(pid: Int32, startTime: UInt64?) {
        self.pid = pid
        self.startTime = startTime
    }

    /// This process.
    public static var current: ProcessIdentity {
        let pid = getpid()
        return ProcessIdentity(pid: pid, startTime: stat(pid)?.startTime)
    }

    /// `PID START`, as the pending file stores it.
    public var description: String { startTime.map { "\(pid) \($0)" } ?? "\(pid)" }

    /// Whether this very process still runs: the pid exists, is not a zombie (it has exited,
    /// its parent just has not reaped it) and, when known, started at the same time.
    public var isAlive: Bool {
        guard pid > 0, let stat = Self.stat(pid) else { return false }
        guard stat.state != "Z" && stat.state != "X" else { return false }
        if let startTime { return stat.startTime == startTime }
        return true
    }

    /// The state letter and start time of `pid`, from `/proc/PID/stat`; nil when it is gone.
    static func stat(_ pid: Int32) -> (state: Character, startTime: UInt64)? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        // The command name (field 2) may hold spaces and parentheses: count after the last ")".
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
        guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else { return nil }
        return (state, start)
    }
}
