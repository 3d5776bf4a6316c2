/// How serious a finding is. `check` exits 1 on any error-level lint, 2 on an invalid file.
public enum Severity: String, Hashable, Sendable, Comparable, CaseIterable {
    case error
    case warning
    case info

    private var rank: Int {
        switch self {
        case .error: 0
        case .warning: 1
        case .info: 2
        }
    }
    /// Errors sort first.
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// One problem found in a policy: a decoding error or a lint.
public struct Finding: Hashable, Sendable, CustomStringConvertible {
    /// A stable kebab-case identifier (`unknown-key`, `credssp`, ...) for scripts and suppression.
    public var id: String
    public var severity: Severity
    public var location: SourceLocation
    public var message: String
    /// How to fix it, when there is something useful to say.
    public var hint: String?
    /// For a "N more findings not shown" line: the N findings it stands for (0 otherwise),
    /// so that totals count every finding, shown or not.
    public var hiddenCount: Int = 0

    /// How many findings this one counts for in totals.
    public var weight: Int { hiddenCount > 0 ? hiddenCount : 1 }

    public init(id: String, severity: Severity, location: SourceLocation, message: String, hint: String? = nil) {
        self.id = id
        self.severity = severity
        self.location = location
        self.message = message
        self.hint = hint
    }

    /// Compiler style: `FILE:LINE:COLUMN: error: MESSAGE`, then a `note:` line with the hint.
    public var description: String {
        let head = "\(location): \(severity.rawValue): \(message)"
        guard let hint else { return head }
        return head + "\n\(location): note: \(hint)"
    }
}

/// A policy (or a file it refers to) could not be read. Carries every problem found, not
/// only the first, so one run shows the user all there is to fix.
public struct PolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The problems, in file and line order; all are error-level.
    public var findings: [Finding]

    public init(_ findings: [Finding]) {
        self.findings = findings
    }

    /// One `FILE:LINE:COLUMN: error: MESSAGE` line per problem (with `note:` lines for hints).
    public var description: String {
        findings.map(\.description).joined(separator: "\n")
    }
}
