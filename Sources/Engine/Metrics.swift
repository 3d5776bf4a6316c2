import Foundation
import Plan

/// Prometheus textfile metrics of one reconcile run (for node_exporter's textfile collector).
///
/// Written to a temporary file in the same directory and renamed over the target, so the
/// collector never reads a half-written file (``OwnFiles``).
public struct ReconcileMetrics: Sendable {
    /// When the run finished.
    public var timestamp: Date
    /// Whether the kernel matched the policy before any repair (nil: unknown, the run failed).
    public var inSync: Bool?
    /// Changes found (and repaired) by this run.
    public var driftChanges: Int
    /// Address ranges trusted by the kernel but not by the policy (possible intrusion).
    public var unexpectedAddresses: Int
    /// Gateway mode: protected address ranges the kernel no longer protected (possible
    /// intrusion: their migration ports were open to everyone).
    public var unprotectedAddresses = 0
    /// Trusted prefixes (CIDRs) per family in the policy; nil when unknown.
    public var trustedPrefixes: (ipv4: Int, ipv6: Int)?
    /// Whether the fast path (generation id unchanged) answered without a full dump.
    public var fastPath: Bool
    /// The run's wall time.
    public var durationSeconds: Double
    /// The error that ended the run, if any.
    public var lastError: String?
    /// The kinds of the ``ProtectionAlert``s found (empty: none).
    public var alertKinds: Set<String> = []
    /// Sources refused on the migration ports, most packets first; the text exports the
    /// first ``refusedExported`` (a bounded label set). Nil: not read.
    public var refused: [RefusedSource]?
    /// The paths the policy's table leaves unfiltered by the policy's own choice
    /// (``GuardedPaths/unguarded``); nil when not known (no policy compiled).
    public var unguardedPaths: [String]?
    /// `reconcile --audit`: the audit's findings per severity; nil when no audit ran.
    public var auditFindings: (errors: Int, warnings: Int, infos: Int)?
    /// `reconcile --audit`: whether the audit ran (false: it failed, and there are no
    /// findings to count); nil when no audit was asked for.
    public var auditRan: Bool?
    /// How many refused sources get a `source` label.
    public static let refusedExported = 5

    public init(timestamp: Date = Date(), inSync: Bool? = nil, driftChanges: Int = 0, unexpectedAddresses: Int = 0,
                trustedPrefixes: (ipv4: Int, ipv6: Int)? = nil, fastPath: Bool = false,
                durationSeconds: Double = 0, lastError: String? = nil) {
        self.timestamp = timestamp
        self.inSync = inSync
        self.driftChanges = driftChanges
        self.unexpectedAddresses = unexpectedAddresses
        self.trustedPrefixes = trustedPrefixes
        self.fastPath = fastPath
        self.durationSeconds = durationSeconds
        self.lastError = lastError
    }

    /// The exposition text.
    public var text: String {
        var lines: [String] = []
        func metric(_ name: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            lines.append("# HELP migfw_\(name) \(help)")
            lines.append("# TYPE migfw_\(name) gauge")
            for sample in samples { lines.append("migfw_\(name)\(sample.labels) \(sample.value)") }
        }
        metric("last_run_timestamp_seconds", "Unix time the last reconcile run finished.",
               [("", String(format: "%.3f", timestamp.timeIntervalSince1970))])
        metric("last_run_duration_seconds", "Wall time of the last reconcile run.",
               [("", String(format: "%.6f", durationSeconds))])
        if let inSync {
            metric("in_sync", "1 if the kernel matched the policy before the last run repaired anything.",
                   [("", inSync ? "1" : "0")])
        }
        metric("drift_changes", "Changes the last run found between the kernel and the policy (and repaired).",
               [("", "\(driftChanges)")])
        metric("unexpected_trusted_ranges",
               "Address ranges the kernel trusted that the policy does not (possible intrusion) at the last run.",
               [("", "\(unexpectedAddresses)")])
        metric("unprotected_ranges",
               "Gateway mode: protected address ranges the kernel no longer protected (possible intrusion) at the last run.",
               [("", "\(unprotectedAddresses)")])
        if let trustedPrefixes {
            metric("trusted_prefixes", "Trusted prefixes in the policy, per address family.",
                   [("{family=\"ipv4\"}", "\(trustedPrefixes.ipv4)"), ("{family=\"ipv6\"}", "\(trustedPrefixes.ipv6)")])
        }
        if let unguardedPaths {
            metric("unguarded_paths", "1 for each way to the hypervisor(s) the policy leaves unfiltered by its own choice "
                   + "(other_interfaces: open; a bridged gateway without protected_side).",
                   GuardedPaths.unguardedKinds.map { ("{path=\"\($0)\"}", unguardedPaths.contains($0) ? "1" : "0") })
        }
        if let auditRan {
            metric("audit_ok", "1 if the last `reconcile --audit` could audit the hypervisor's settings, 0 if it failed.",
                   [("", auditRan ? "1" : "0")])
        }
        if let auditFindings {
            metric("audit_findings", "Findings of the last `reconcile --audit` in the hypervisor's own settings, per severity.",
                   [("{severity=\"error\"}", "\(auditFindings.errors)"), ("{severity=\"warning\"}", "\(auditFindings.warnings)"),
                    ("{severity=\"info\"}", "\(auditFindings.infos)")])
        }
        metric("fast_path", "1 if the last run proved the kernel unchanged by its generation id, without a dump.",
               [("", fastPath ? "1" : "0")])
        metric("alert", "1 if the host is not protected although the kernel may match the policy (see `migfw status`).",
               ProtectionAlert.kinds.map { ("{kind=\"\($0)\"}", alertKinds.contains($0) ? "1" : "0") })
        if let refused {
            metric("refused_sources", "Sources refused on the migration ports, held in migfw's refused4/refused6 sets.",
                   [("", "\(refused.count)")])
            metric("refused_packets", "Refused packets of the \(Self.refusedExported) sources refused most (kernel per-source counters).",
                   refused.prefix(Self.refusedExported).map { ("{source=\"\(Self.escape($0.address))\"}", "\($0.packets)") })
        }
        metric("last_error", "1 if the last run failed; the reason label says why.",
               [(lastError.map { "{reason=\"\(Self.escape($0))\"}" } ?? "", lastError == nil ? "0" : "1")])
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes ``text`` to `path` atomically, world-readable for the collector. The textfile
    /// directory may belong to another account: ``OwnFiles/replace(_:with:mode:)`` never
    /// follows a name planted there.
    public func write(to path: String) throws(EngineError) {
        try OwnFiles.replace(path, with: text, mode: 0o644)
    }

    /// Label values escape backslash, quote and newline.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
