import ArgumentParser
import Foundation
import Engine
import Policy
import WindowsRender

/// `migfw check`: validate and lint a policy. Exit 0 clean or warnings only, 1 lint errors,
/// 2 an invalid file or invalid arguments.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a policy file and lint it for security problems.",
        discussion: """
            Reports every problem of the file at once, compiler style (FILE:LINE:COLUMN: \
            severity: message [id], then a note with the fix), or as JSON with --json. \
            Exit status: 0 clean or only warnings, 1 a lint error, 2 the file or the arguments \
            are invalid.
            """
    )

    @OptionGroup var options: ConfigOptions

    @Flag(name: .customLong("json"), help: "Print the findings as JSON for programs.")
    var json = false

    func run() throws {
        let findings: [Finding]
        let valid: Bool
        var policy: Policy? = nil
        do {
            let loaded = try PolicyLoader.load(path: options.config)
            policy = loaded
            // On the gateway itself, also whether the protected hosts' traffic passes here.
            // A policy for Windows passes only what `render` accepts.
            let windows = WindowsLints.applies(to: loaded) ? WindowsLints.findings(loaded, trustedSet: loaded.trustedSet()) : []
            findings = PolicyLoader.sorted(PolicyLinter.lint(loaded) + GatewayTopology.findings(loaded) + windows,
                                           primary: loaded.path)
            valid = true
        } catch {
            findings = error.findings
            valid = false
        }
        var output = ""
        if json {
            var report = CheckReport(file: options.config, valid: valid, findings: findings)
            report.mode = policy?.mode.rawValue
            report.gateway = policy?.gateway?.via.rawValue
            output = report.json() + "\n"
        } else {
            for finding in findings {
                output += "\(finding.location): \(finding.severity.rawValue): \(finding.message) [\(finding.id)]\n"
                if let hint = finding.hint { output += "\(finding.location): note: \(hint)\n" }
            }
            output += Self.summary(file: options.config, valid: valid, findings: findings) + "\n"
        }
        try StandardOutput.write(output)
        if !valid { throw ExitCode.invalidInput }
        if PolicyLinter.hasErrors(findings) { throw ExitCode.failure }
    }

    static func summary(file: String, valid: Bool, findings: [Finding]) -> String {
        func count(_ severity: Severity, _ noun: String) -> String {
            let n = findings.filter { $0.severity == severity }.reduce(0) { $0 + $1.weight }
            return "\(n) \(noun)\(n == 1 ? "" : "s")"
        }
        if !valid { return "\(file): invalid policy, \(count(.error, "error"))" }
        if findings.isEmpty { return "\(file): ok" }
        return "\(file): \(count(.error, "error")), \(count(.warning, "warning")), \(count(.info, "note"))"
    }
}

/// The `--json` output of `check`.
struct CheckReport: Encodable {
    struct Item: Encodable {
        var id: String
        var severity: String
        var file: String
        var line: Int
        var column: Int
        var message: String
        var hint: String?
    }
    var file: String
    /// False when the file could not be read as a policy (exit 2).
    var valid: Bool
    var errors: Int
    var warnings: Int
    var infos: Int
    var findings: [Item]
    /// `host` or `gateway` (absent when the file is invalid).
    var mode: String?
    /// Gateway mode: `routed` or `bridge`.
    var gateway: String?

    init(file: String, valid: Bool, findings: [Finding]) {
        self.file = file
        self.valid = valid
        // Totals count every finding, also those folded into a "N more not shown" line.
        func total(_ severity: Severity) -> Int {
            findings.filter { $0.severity == severity }.reduce(0) { $0 + $1.weight }
        }
        errors = total(.error)
        warnings = total(.warning)
        infos = total(.info)
        self.findings = findings.map {
            Item(id: $0.id, severity: $0.severity.rawValue, file: $0.location.file, line: $0.location.line,
                 column: $0.location.column, message: $0.message, hint: $0.hint)
        }
    }

    func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
