import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where `reconcile` reports what it found and did: syslog (facility daemon, ident `migfw`)
/// when the host has one (`/dev/log`), else standard error, one line per event.
///
/// `MIGFW_LOG=stderr` forces standard error (tests, containers without a syslog).
public final class EventLog: @unchecked Sendable {
    /// How serious an event is; security events are the ones an admin must look at.
    public enum Level: Sendable {
        case info, warning, error, security

        var syslogPriority: Int32 {
            switch self {
            case .info: LOG_INFO
            case .warning: LOG_WARNING
            case .error: LOG_ERR
            case .security: LOG_ALERT
            }
        }

        var label: String {
            switch self {
            case .info: "info"
            case .warning: "warning"
            case .error: "error"
            case .security: "SECURITY"
            }
        }
    }

    /// Whether events go to syslog (else standard error).
    public let usesSyslog: Bool
    /// A tag in every line (e.g. the namespace), so several hosts' or namespaces' lines can
    /// be told apart.
    public let context: String?

    public init(context: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.context = context
        usesSyslog = environment["MIGFW_LOG"] != "stderr" && FileManager.default.fileExists(atPath: "/dev/log")
        if usesSyslog { openlog("migfw", LOG_PID, LOG_DAEMON) }
    }

    deinit { if usesSyslog { closelog() } }

    /// Logs one event.
    public func log(_ level: Level, _ message: String) {
        let line = (context.map { "[\($0)] " } ?? "") + message
        if usesSyslog {
            line.withCString { text in
                // Safety: `text` lives for this closure; the format takes exactly one %s
                // argument, so the message is never interpreted as a format.
                withVaList([text]) { vsyslog(level.syslogPriority, "%s", $0) }
            }
        } else {
            FileHandle.standardError.write(Data("migfw: \(level.label): \(line)\n".utf8))
        }
    }
}
