import Foundation
import Policy
import Prefix

/// `/etc/sasl2/libvirt.conf`: which SASL mechanisms libvirt's TCP listeners offer. Only
/// GSSAPI (Kerberos) authenticates and encrypts the connection; DIGEST-MD5 is broken (RFC
/// 6331) and SCRAM does not encrypt.
struct SaslMechanisms {
    var file: String
    var line: Int?
    var mechanisms: [String]?

    /// The file's `mech_list`, or nil when there is no file; a file that cannot be read is
    /// reported in `refusals`.
    static func read(_ root: ConfigRoot, refusals: inout [AuditFinding]) -> SaslMechanisms? {
        let text: ConfigText
        switch root.read(LibvirtAudit.saslConf) {
        case .text(let read): text = read
        case .missing: return nil
        case .refused(let refusal):
            refusals.append(refusal)
            return nil
        }
        var result = SaslMechanisms(file: text.shown)
        for (index, raw) in text.lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.hasPrefix("#"), line.hasPrefix("mech_list:") else { continue }
            result.line = index + 1
            result.mechanisms = line.dropFirst("mech_list:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
                .map { $0.lowercased() }
        }
        return result
    }

    func findings(_ context: AuditContext, tcpListeners: [String]) -> [AuditFinding] {
        guard mechanisms.map({ !$0.contains("gssapi") }) ?? false else { return [] }
        let listed = Excerpt.quoted((mechanisms ?? []).joined(separator: " "))
        if context.policy.authentication?.value == .kerberos {
            return [AuditFinding(
                id: "sasl-no-gssapi", severity: .warning, file: file, line: line, setting: "mech_list",
                message: "the policy says authentication: kerberos, but libvirt's SASL offers \(listed), not gssapi",
                fix: "set mech_list: gssapi and a keytab (keytab: /etc/libvirt/krb5.tab)")]
        }
        if !tcpListeners.isEmpty {
            return [AuditFinding(
                id: "sasl-no-gssapi", severity: .warning, file: file, line: line, setting: "mech_list",
                message: "\(tcpListeners.joined(separator: " and ")) listen\(tcpListeners.count == 1 ? "s" : "") on plain TCP with SASL \(listed): without gssapi the connection is not encrypted",
                fix: "set mech_list: gssapi, or use the TLS listener")]
        }
        return []
    }
}
