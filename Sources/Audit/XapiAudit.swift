import Policy
import Prefix

/// XAPI's `migration-https-only` (default true since xen-api PR #4947, 2023): false sends
/// VM memory over plain HTTP. `/etc/xapi.conf` is read first, then `/etc/xapi.conf.d/*` in
/// sorted order, each overriding the ones before (xcp_service.ml).
enum XapiAudit {
    static let mainPath = "/etc/xapi.conf"
    static let fragmentDirectory = "/etc/xapi.conf.d"
    static let httpsOnly = "migration-https-only"

    /// The findings, or nil when xapi has no config file here.
    static func findings(_ context: AuditContext) -> [AuditFinding]? {
        var findings: [AuditFinding] = []
        var files: [ConfigText] = []
        var present = false
        var fragments: [String] = []
        switch context.root.listing(fragmentDirectory) {
        case .success(let names): fragments = names
        case .failure(let refusal):
            present = true
            findings.append(refusal)
        }
        let paths = [mainPath] + fragments.map { "\(fragmentDirectory)/\($0)" }
        for path in paths {
            switch context.root.read(path) {
            case .missing: continue
            case .refused(let refusal):
                present = true
                findings.append(refusal)
            case .text(let text):
                present = true
                files.append(text)
            }
        }
        guard present else { return nil }

        var deciding: (value: Bool, file: String, line: Int)?
        reading: for file in files {
            for setting in XapiConfig(file).settings where setting.key == httpsOnly {
                // OCaml's bool_of_string: exactly true or false. Anything else raises, and the
                // read of the config stops there.
                switch setting.value {
                case "true": deciding = (true, file.shown, setting.line)
                case "false": deciding = (false, file.shown, setting.line)
                default:
                    findings.append(AuditFinding(
                        id: "invalid-value", severity: .error, file: file.shown, line: setting.line, setting: httpsOnly,
                        message: "\(httpsOnly) = '\(Excerpt.quoted(setting.value))': xapi will not parse it (its booleans are true and false only), and stops reading its config here",
                        fix: "write \(httpsOnly) = true"))
                    break reading
                }
            }
        }
        if let deciding, !deciding.value {
            findings.append(AuditFinding(
                id: "migration-https-disabled", severity: .error, file: deciding.file, line: deciding.line, setting: httpsOnly,
                message: "\(httpsOnly) = false: xapi migrates VM memory over plain HTTP, unencrypted",
                fix: "set \(httpsOnly) = true (the default since 2023), or remove the line"))
        }
        return findings
    }
}
