import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The swift-log handler `reconcile` logs through: syslog (facility daemon, ident `migfw`) when
/// the host has one (`/dev/log`), else standard error, one line per event.
///
/// `MIGFW_LOG=stderr` forces standard error (tests, containers without a syslog). An event
/// with metadata `event: security` (a possible intrusion) is labelled `SECURITY`.
public struct EventLogHandler: LogHandler {
    /// Metadata that marks a security event.
    public static let securityMetadata: Logger.Metadata = ["event": "security"]

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    /// Whether events go to syslog (else standard error).
    public let usesSyslog: Bool
    /// A tag in every line (e.g. the namespace), so several namespaces' lines can be told apart.
    public let context: String?

    public init(context: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.context = context
        usesSyslog = environment["MIGFW_LOG"] != "stderr" && FileManager.default.fileExists(atPath: "/dev/log")
        if usesSyslog { openlog("migfw", LOG_PID, LOG_DAEMON) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let line = (context.map { "[\($0)] " } ?? "") + event.message.description
        let security = event.metadata?["event"] == "security" || metadata["event"] == "security"
        if usesSyslog {
            line.withCString { text in
                // Safety: `text` lives for this closure; the format takes exactly one %s
                // argument, so the message is never interpreted as a format.
                withVaList([text]) { vsyslog(Self.priority(event.level), "%s", $0) }
            }
        } else {
            let label = security ? "SECURITY" : event.level.rawValue
            Console.error("migfw: \(label): \(line)")
        }
    }

    static func priority(_ level: Logger.Level) -> Int32 {
        switch level {
        case .trace, .debug: LOG_DEBUG
        case .info: LOG_INFO
        case .notice: LOG_NOTICE
        case .warning: LOG_WARNING
        case .error: LOG_ERR
        case .critical: LOG_ALERT
        }
    }
}
