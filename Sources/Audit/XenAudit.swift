import Policy
import Prefix

/// `migfw audit` on a Xen host. XAPI (XenServer, XCP-ng) and the legacy xend each have
/// settings to read; xl has none: it migrates over ssh, so sshd is all there is.
enum XenAudit {
    /// Every finding of a Xen host.
    static func findings(_ context: AuditContext) -> [AuditFinding] {
        let xapi = XapiAudit.findings(context)
        let xend = XenRelocationAudit.findings(context)
        var findings = (xapi ?? []) + (xend ?? [])
        if xapi == nil && xend == nil {
            findings.append(AuditFinding(
                id: "xl-over-ssh", severity: .info, file: context.policy.path,
                line: context.policy.profile.location.line, setting: "profile",
                message: "no xapi.conf or xend-config.sxp: xl migrates over ssh: nothing to read beyond sshd",
                fix: "check sshd on dom0: which keys may run 'xl migrate-receive', and ListenAddress on the migration network"))
        }
        return findings
    }
}
