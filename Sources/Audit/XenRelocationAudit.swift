import Foundation
import Policy
import Prefix

/// xend's relocation servers (`/etc/xen/xend-config.sxp`, legacy: xm/xend left Xen in 4.5).
/// The plain server (`xend-relocation-server`, TCP 8002) takes domains with no
/// authentication and no encryption; either server with an empty `xend-relocation-hosts-allow`
/// takes them from any host, and with an empty `xend-relocation-address` on every NIC.
enum XenRelocationAudit {
    static let path = "/etc/xen/xend-config.sxp"

    /// The findings, or nil when there is no xend-config.sxp.
    static func findings(_ context: AuditContext) -> [AuditFinding]? {
        let text: ConfigText
        switch context.root.read(path) {
        case .missing: return nil
        case .refused(let refusal): return [refusal]
        case .text(let read): text = read
        }
        let config = XenSxpConfig(text.text)
        if let error = config.syntaxError {
            return [AuditFinding(id: "config-syntax", severity: .error, file: text.shown, line: error.line,
                                 message: "\(error.message): xend cannot read the file; relocation settings not audited",
                                 fix: "balance the parentheses and quotes")]
        }
        var findings: [AuditFinding] = []
        func finding(_ id: String, _ severity: Severity, _ setting: XenSxpConfig.Setting?, orAt fallback: XenSxpConfig.Setting?,
                     name: String, _ message: String, fix: String) {
            findings.append(AuditFinding(id: id, severity: severity, file: text.shown, line: (setting ?? fallback)?.line,
                                         setting: name, message: message, fix: fix))
        }
        func isOn(_ name: String) -> XenSxpConfig.Setting? {
            guard let setting = config.setting(name) else { return nil }
            switch xendBool(setting.value ?? "") {
            case true?: return setting
            case false?: return nil
            case nil:
                finding("invalid-value", .error, setting, orAt: nil, name: name,
                        "\(name) '\(Excerpt.quoted(setting.value ?? "", limit: Excerpt.fileTokenCharacters))' is not a boolean: xend will not parse it",
                        fix: "write (\(name) no)")
                return nil
            }
        }

        let plain = isOn("xend-relocation-server")
        let ssl = isOn("xend-relocation-ssl-server")
        if let plain {
            let port = config.setting("xend-relocation-port")?.value.map { Excerpt.quoted($0) } ?? "8002"
            finding("xend-relocation-plain", .error, plain, orAt: nil, name: "xend-relocation-server",
                    "the plain relocation server (TCP \(port)) is on: it accepts domains with no authentication, no encryption",
                    fix: "set (xend-relocation-server no) and migrate with xl over ssh, or use the SSL relocation server")
        }
        guard let server = plain ?? ssl else { return findings }

        let hostsAllow = config.setting("xend-relocation-hosts-allow")
        if (hostsAllow?.value ?? "").allSatisfy(\.isWhitespace) {
            finding("xend-relocation-any-host", .error, hostsAllow, orAt: server, name: "xend-relocation-hosts-allow",
                    "xend-relocation-hosts-allow is \(hostsAllow == nil ? "unset" : "empty"): the relocation server accepts domains from any host",
                    fix: "list the trusted peers as anchored patterns: (xend-relocation-hosts-allow '^192\\\\.168\\\\.60\\\\.11$ ...')")
        }
        let address = config.setting("xend-relocation-address")
        let value = (address?.value ?? "").trimmingCharacters(in: .whitespaces)
        if value.isEmpty || value == "0.0.0.0" || value == "::" {
            finding("xend-relocation-all-interfaces", .warning, address, orAt: server, name: "xend-relocation-address",
                    "xend-relocation-address is \(address == nil ? "unset" : value.isEmpty ? "empty" : value): the relocation server listens on every interface",
                    fix: "set (xend-relocation-address '<the address on \(context.interfaceNames)>')")
        } else {
            let resolved: [AnyCIDR]
            if let literal = RootHostsFile.literal(value) {
                resolved = [literal]
            } else {
                let hosts = RootHostsFile(context.root)
                if let refusal = hosts.refusal { findings.append(refusal) }
                resolved = hosts.resolve(value)
            }
            let onNIC = resolved.map { context.isOnMigrationInterface($0) }
            if !resolved.isEmpty, onNIC.allSatisfy({ $0 == false }) {
                let held = (context.interfaceAddresses ?? []).map(\.description).joined(separator: ", ")
                finding("xend-relocation-address-elsewhere", .error, address, orAt: server, name: "xend-relocation-address",
                        "xend-relocation-address '\(Excerpt.quoted(value))' is not on \(context.interfaceNames) (\(held)): the relocation server listens on another network",
                        fix: "set xend-relocation-address to the migration NIC's address")
            }
        }
        return findings
    }

    /// xend's booleans (XendOptions.get_config_bool, any case); nil for other values.
    static func xendBool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "yes", "y", "1", "on", "true", "t": true
        case "no", "n", "0", "off", "false", "f": false
        default: nil
        }
    }
}
