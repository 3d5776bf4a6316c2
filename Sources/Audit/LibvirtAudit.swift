import Policy
import Prefix

/// libvirt/QEMU: qemu.conf's migration settings, the remote daemons' listeners
/// (libvirtd.conf, virtproxyd.conf, their socket units) and the SASL mechanisms.
enum LibvirtAudit {
    static let qemuConf = "/etc/libvirt/qemu.conf"
    static let saslConf = "/etc/sasl2/libvirt.conf"

    static func findings(_ context: AuditContext) -> [AuditFinding] {
        var findings: [AuditFinding] = []
        switch context.root.read(qemuConf) {
        case .missing:
            findings.append(AuditFinding(
                id: "libvirt-not-found", severity: .warning, file: context.root.display(qemuConf),
                message: "no qemu.conf: libvirt's QEMU driver is not installed under this root, so its migration settings were not audited",
                fix: "run the audit on the hypervisor (or --root at a copy of its /etc)"))
        case .refused(let finding):
            findings.append(finding)
        case .text(let text):
            let file = LibvirtFile(text)
            file.reportSyntax(into: &findings)
            QemuMigrationAudit(context: context, file: file).run(into: &findings)
        }
        let daemons = RemoteDaemonAudit(context: context)
        findings += daemons.findings()
        if let sasl = SaslMechanisms.read(context.root, refusals: &findings) {
            findings += sasl.findings(context, tcpListeners: daemons.tcpListenersWithSASL)
        }
        return findings
    }
}

/// A libvirt configuration file as read, with the helpers every libvirt check uses.
struct LibvirtFile {
    let text: ConfigText
    let conf: LibvirtConf

    init(_ text: ConfigText) {
        self.text = text
        conf = LibvirtConf(text.text)
    }

    var shown: String { text.shown }

    /// The syntax error (the daemon refuses to start) and the repeated settings libvirt ignores.
    func reportSyntax(into findings: inout [AuditFinding]) {
        if let error = conf.syntaxError {
            findings.append(AuditFinding(
                id: "config-syntax", severity: .error, file: shown, line: error.line,
                message: "\(error.message): libvirt refuses to start with this file, and reads nothing after this line",
                fix: "write name = value, with strings in quotes and booleans as 0 or 1"))
        }
        for (ignored, first) in conf.ignoredRepeats {
            let differs = ignored.value != first.value
            findings.append(AuditFinding(
                id: "repeated-setting", severity: differs ? .warning : .info, file: shown, line: ignored.line,
                setting: ignored.name,
                message: "\(Excerpt.quoted(ignored.name)) is set again here\(differs ? " to another value" : ""); libvirt reads only the first, at line \(first.line)",
                fix: "keep one \(Excerpt.quoted(ignored.name)) line, with the value you mean"))
        }
    }

    /// The line that shows a setting: its statement, else its commented-out default.
    func line(of name: String) -> Int? { conf.entry(name)?.line ?? conf.commentedOut[name] }

    /// A boolean setting as libvirt reads it (`virConfGetValueBool`): nil when unset; an
    /// error finding (and nil) when it is not an unquoted 0 or 1, which libvirt refuses.
    func boolean(_ name: String, into findings: inout [AuditFinding]) -> Bool? {
        guard let entry = conf.entry(name) else { return nil }
        switch entry.value {
        case .integer where entry.value.number == 0: return false
        case .integer where entry.value.number == 1: return true
        case .string(let text):
            findings.append(AuditFinding(
                id: "quoted-boolean", severity: .error, file: shown, line: entry.line, setting: name,
                message: "\(name) = \(entry.value.shown): a quoted value is a string, and libvirt refuses to start (\"expected a bool\")",
                fix: "write \(name) = \(["1", "yes", "true"].contains(text.lowercased()) ? "1" : "0") without quotes"))
        default:
            findings.append(AuditFinding(
                id: "invalid-value", severity: .error, file: shown, line: entry.line, setting: name,
                message: "\(name) = \(entry.value.shown): libvirt refuses to start (a boolean must be 0 or 1)",
                fix: "write \(name) = 0 or \(name) = 1"))
        }
        return nil
    }

    /// A string setting: nil when unset; an error finding (and nil) when it is not a string.
    func string(_ name: String, into findings: inout [AuditFinding]) -> String? {
        guard let entry = conf.entry(name) else { return nil }
        guard case .string(let text) = entry.value else {
            findings.append(AuditFinding(
                id: "invalid-value", severity: .error, file: shown, line: entry.line, setting: name,
                message: "\(name) = \(entry.value.shown): libvirt wants a quoted string here and refuses to start",
                fix: "write \(name) = \"...\""))
            return nil
        }
        return text
    }

    /// An unsigned integer setting: nil when unset; an error finding (and nil) when it is not
    /// a number in 0...`maximum`.
    func number(_ name: String, maximum: Int64, into findings: inout [AuditFinding]) -> Int64? {
        guard let entry = conf.entry(name) else { return nil }
        guard let value = entry.value.number, value >= 0, value <= maximum else {
            findings.append(AuditFinding(
                id: "invalid-value", severity: .error, file: shown, line: entry.line, setting: name,
                message: "\(name) = \(entry.value.shown): libvirt wants a number from 0 to \(maximum) and refuses to start",
                fix: "write \(name) = N without quotes"))
            return nil
        }
        return value
    }
}
