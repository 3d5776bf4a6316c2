import Policy
import Prefix

/// One thing `migfw audit` found in a hypervisor's own settings.
public struct AuditFinding: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable kebab-case identifier (`migrate-tls-not-forced`, ...) for scripts.
    public var id: String
    public var severity: Severity
    /// The file as the user knows it (`/etc/libvirt/qemu.conf`, not the `--root` copy's path).
    public var file: String
    /// 1-based; nil when the finding is about the whole file or a setting it does not have.
    public var line: Int?
    /// The setting at fault (`migrate_tls_force`), when there is one.
    public var setting: String?
    public var message: String
    /// What to change.
    public var fix: String?

    public init(id: String, severity: Severity, file: String, line: Int? = nil, setting: String? = nil,
                message: String, fix: String? = nil) {
        self.id = id
        self.severity = severity
        self.file = file
        self.line = line
        self.setting = setting
        self.message = message
        self.fix = fix
    }

    /// Compiler style, as `check` prints: `FILE:LINE: severity: MESSAGE [id]`, then a
    /// `note:` line with the fix.
    public var description: String {
        // A file name comes from the audited tree: control characters are escaped.
        let name = Excerpt.quoted(file, limit: 4096)
        let place = line.map { "\(name):\($0)" } ?? name
        let head = "\(place): \(severity.rawValue): \(message) [\(id)]"
        guard let fix else { return head }
        return head + "\n\(place): note: \(fix)"
    }
}

/// Every finding of one audit, sorted by severity, then file and line.
public struct AuditReport: Hashable, Sendable {
    public var findings: [AuditFinding]

    public init(_ findings: [AuditFinding]) {
        self.findings = findings.sorted {
            if $0.severity != $1.severity { return $0.severity < $1.severity }
            if $0.file != $1.file { return $0.file < $1.file }
            return ($0.line ?? 0) < ($1.line ?? 0)
        }
    }

    public func count(_ severity: Severity) -> Int { findings.filter { $0.severity == severity }.count }
    public var errors: Int { count(.error) }
    public var warnings: Int { count(.warning) }
    public var infos: Int { count(.info) }
    public var hasErrors: Bool { errors > 0 }

    /// `N errors, N warnings, N notes` (or `ok`).
    public var summary: String {
        if findings.isEmpty { return "ok" }
        func noun(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        return "\(noun(errors, "error")), \(noun(warnings, "warning")), \(noun(infos, "note"))"
    }
}
