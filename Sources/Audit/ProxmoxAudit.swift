import Policy
import Prefix

/// `migfw audit` on a Proxmox VE node: datacenter.cfg's `migration:` (encrypted, and over
/// which network), the cluster's nodes against the trusted set, and pve-firewall's
/// `management` set, which it opens SSH and the insecure-migration ports to.
enum ProxmoxAudit {
    /// The cluster-wide settings, on the cluster file system pmxcfs mounts at /etc/pve.
    static let datacenterPath = "/etc/pve/datacenter.cfg"

    /// Every finding of a Proxmox VE node.
    static func findings(_ context: AuditContext) -> [AuditFinding] {
        var findings: [AuditFinding] = []
        var migrationNetwork: AnyCIDR?
        switch context.root.read(datacenterPath) {
        case .missing:
            findings.append(AuditFinding(
                id: "proxmox-not-found", severity: .warning, file: context.root.display(datacenterPath),
                message: "no datacenter.cfg: not a Proxmox VE node, or /etc/pve (pmxcfs) is not mounted; migration type and network not audited",
                fix: "run the audit on a Proxmox VE node with its cluster file system mounted, or give --root a copy that has /etc/pve"))
        case .refused(let refusal):
            findings.append(refusal)
        case .text(let text):
            let audit = ProxmoxMigrationAudit(context: context, config: ProxmoxDatacenterConfig(text), file: text.shown)
            findings += audit.findings
            migrationNetwork = audit.network
        }
        findings += ProxmoxClusterAudit.findings(context, migrationNetwork: migrationNetwork)
        findings += ProxmoxFirewallAudit.findings(context)
        return findings
    }
}
