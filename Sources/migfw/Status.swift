import ArgumentParser
import Engine
import Foundation
import Ruleset

/// `migfw status`: what the kernel holds for migfw now, with counters.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show whether migfw's table (inet migfw, or bridge migfw for a bridged gateway) is loaded, its set sizes and rule counters.",
        discussion: """
            Needs CAP_NET_ADMIN. ALERT lines (JSON: "alerts") name what keeps the host \
            unprotected although the table is loaded: an interface the rules match that does \
            not exist, an `apply --confirm` killed before it was confirmed or rolled back. Also \
            reports base chains of other tables, on the hooks migfw's traffic passes, that \
            can drop what migfw accepts (a drop policy, an unconditional drop, or a drop or \
            reject rule on a migration port): a packet must be accepted by every table. Other \
            tables are only read. Lists the sources refused on the migration ports (the \
            kernel's per-source counters in the refused4/refused6 sets): packets, bytes, \
            last seen; the text shows the top 20, JSON ("refused") all of them. Exit 0 ok (loaded or not, alerts or not), 1 kernel error.
            """
    )

    @OptionGroup var namespace: NamespaceOptions
    @OptionGroup var state: StateOptions

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let reports: [StatusReport]
        do {
            reports = try StatusReader.statuses(namespace: namespace.netns, stateDirectory: state.stateDirectory)
        } catch {
            throw reportFailure(error, command: "status")
        }
        // One report per loaded table (two only while a mode change is half done by hand).
        let shown: [StatusReport?] = reports.isEmpty ? [nil] : reports
        let audit = AuditRecord.load(path: AuditRecord.path(directory: state.stateDirectory, namespace: namespace.netns))
        if json {
            try StandardOutput.write(shown.map { Self.json($0, audit: audit) }.joined())
        } else {
            try StandardOutput.write(shown.map { Self.text($0, namespace: namespace.netns) }.joined() + Self.auditText(audit))
        }
    }

    static func text(_ report: StatusReport?, namespace: String?) -> String {
        let place = namespace.map { " in network namespace \($0)" } ?? ""
        guard let report else { return "table inet migfw, table bridge migfw: not loaded\(place)\n" }
        var lines = ["table \(report.family.rawValue) migfw: loaded\(place) (ruleset generation \(report.generation))"]
        lines += report.alerts.map { "  ALERT: \($0)" }
        switch report.digestMatches {
        case true?: lines.append("  digest \(hex(report.storedDigest!)) (matches the table's content)")
        case false?: lines.append("  digest \(hex(report.storedDigest!)) DOES NOT MATCH the content: changed outside migfw")
        case nil: lines.append("  no migfw digest: not created by this version of migfw apply")
        }
        for set in report.sets {
            if set.dynamic {
                lines.append("  set \(set.name) (\(set.keyType.rawValue), dynamic): \(set.kernelElements) sources"
                             + (set.size.map { " of at most \($0)" } ?? ""))
                continue
            }
            lines.append("  set \(set.name) (\(set.keyType.rawValue)): \(set.intervals) elements (\(set.kernelElements) kernel elements)")
        }
        var chain = ""
        for rule in report.rules {
            if rule.chain != chain {
                chain = rule.chain
                lines.append("  chain \(chain):")
            }
            let counter = rule.counter.map { "  [\($0.packets) packets, \($0.bytes) bytes]" } ?? ""
            lines.append("    \(rule.text)\(counter)  # handle \(rule.handle)")
        }
        lines += report.paths?.lines ?? []
        lines += refusedLines(report.refused)
        if report.conflicts.isEmpty {
            lines.append("other tables: none can drop what migfw accepts")
        } else {
            lines.append("other tables that can drop what migfw accepts (a packet must pass every table), or that migfw cannot read:")
            for conflict in report.conflicts {
                let hook = "(hook \(conflict.hook.rawValue), priority \(conflict.priority))"
                lines.append(conflict.certain
                    ? "  ! table \(conflict.family.rawValue) \(conflict.table) chain \(conflict.chain) \(hook): \(conflict.reason)"
                    : "  ? \(conflict.reason) \(hook)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// How many refused sources the text lists (JSON lists them all, at most the sets' size).
    static let refusedShown = 20

    static func refusedLines(_ refused: [RefusedSource]) -> [String] {
        guard !refused.isEmpty else { return ["refused sources on the migration ports: none"] }
        var lines = ["refused sources on the migration ports (\(refused.count), most packets first):"]
        for source in refused.prefix(refusedShown) {
            let seen = source.lastSeenSecondsAgo.map { ", last seen \($0)s ago" } ?? ""
            lines.append("  \(source.address): \(source.packets) packets, \(source.bytes) bytes\(seen)")
        }
        if refused.count > refusedShown { lines.append("  ... and \(refused.count - refusedShown) more (--json lists all)") }
        return lines
    }

    /// The last `reconcile --audit`'s summary and error findings, if one ran.
    static func auditText(_ record: AuditRecord?) -> String {
        guard let record else { return "audit: none recorded (reconcile --audit records one)\n" }
        let when = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(record.time)))
        var lines = ["audit of the hypervisor's settings (reconcile --audit, \(when)): \(record.summary)"]
        lines += record.errorFindings.prefix(refusedShown).map { "  error: \($0)" }
        if record.errorFindings.count > refusedShown { lines.append("  ... and \(record.errorFindings.count - refusedShown) more (migfw audit lists all)") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func auditJSON(_ record: AuditRecord?) -> String {
        guard let record else { return "null" }
        return "{\"time\":\(record.time),\"errors\":\(record.errors),\"warnings\":\(record.warnings),\"infos\":\(record.infos),"
            + "\"error_findings\":[\(record.errorFindings.map(JSONText.quote).joined(separator: ","))]}"
    }

    static func json(_ report: StatusReport?, audit: AuditRecord? = nil) -> String {
        guard let report else { return "{\"loaded\":false,\"audit\":\(auditJSON(audit))}\n" }
        let quote = JSONText.quote
        let sets = report.sets.map {
            "{\"name\":\(quote($0.name)),\"type\":\(quote($0.keyType.rawValue)),\"elements\":\($0.intervals),\"kernel_elements\":\($0.kernelElements),"
                + "\"dynamic\":\($0.dynamic),\"size\":\($0.size.map(String.init) ?? "null")}"
        }
        let rules = report.rules.map { rule -> String in
            let counter = rule.counter.map { ",\"packets\":\($0.packets),\"bytes\":\($0.bytes)" } ?? ""
            return "{\"chain\":\(quote(rule.chain)),\"handle\":\(rule.handle),\"rule\":\(quote(rule.text))\(counter)}"
        }
        let digest = report.storedDigest.map { quote(hex($0)) } ?? "null"
        let matches = report.digestMatches.map { $0 ? "true" : "false" } ?? "null"
        let conflicts = report.conflicts.map {
            "{\"family\":\(quote($0.family.rawValue)),\"table\":\(quote($0.table)),\"chain\":\(quote($0.chain)),"
                + "\"hook\":\(quote($0.hook.rawValue)),\"priority\":\($0.priority),\"reason\":\(quote($0.reason)),"
                + "\"certain\":\($0.certain),\"handle\":\($0.handle.map(String.init) ?? "null")}"
        }
        let alerts = report.alerts.map { "{\"kind\":\(quote($0.kind)),\"message\":\(quote($0.description))}" }
        let refused = report.refused.map {
            "{\"source\":\(quote($0.address)),\"packets\":\($0.packets),\"bytes\":\($0.bytes),"
                + "\"last_seen_seconds_ago\":\($0.lastSeenSecondsAgo.map(String.init) ?? "null")}"
        }
        return "{\"loaded\":true,\"family\":\(quote(report.family.rawValue)),\"generation\":\(report.generation),\"digest\":\(digest),\"digest_matches\":\(matches),"
            + "\"alerts\":[\(alerts.joined(separator: ","))],"
            + "\"sets\":[\(sets.joined(separator: ","))],\"rules\":[\(rules.joined(separator: ","))],"
            + "\"conflicts\":[\(conflicts.joined(separator: ","))],\"refused\":[\(refused.joined(separator: ","))],"
            + "\"paths\":[\((report.paths?.lines ?? []).map(quote).joined(separator: ","))],\"audit\":\(auditJSON(audit))}\n"
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
