import Policy
import Prefix

/// `migfw audit`: the hypervisor's own migration settings against the policy and the three
/// rules (authenticated and encrypted migration, a dedicated network, trusted peers only).
/// Read-only: it reads files under the root and nothing else.
public enum Auditor {
    /// Audits the settings of the policy's hypervisor profile.
    public static func audit(_ context: AuditContext) -> AuditReport {
        var findings: [AuditFinding] = []
        if context.interfaceAddresses == nil {
            findings.append(AuditFinding(
                id: "interface-not-found", severity: .warning, file: context.policy.path,
                line: context.policy.interface.location.line, setting: "interface",
                message: "no migration NIC (\(context.interfaceNames)) has an address here: listen addresses and networks are not compared with it",
                fix: "run the audit on the hypervisor itself, or with --netns in the namespace that has the NIC"))
        }
        switch context.policy.profile.value.name {
        case "libvirt": findings += LibvirtAudit.findings(context)
        case "proxmox": findings += ProxmoxAudit.findings(context)
        case "xen": findings += XenAudit.findings(context)
        case "hyperv": findings.append(nothingLocal(context, fix: """
            run the rendered script on each Hyper-V host with -Check (migfw render --target hyperv -c POLICY): \
            it reads VirtualMachineMigrationAuthenticationType, UseAnyNetworkForMigration and the migration networks
            """))
        case "vmware": findings.append(nothingLocal(context, fix: """
            review in vSphere: each VM's migrateEncryption (required, not opportunistic or disabled) and \
            that the vmknic tagged vmotion is on the migration network and not also tagged management
            """))
        default: findings.append(AuditFinding(
            id: "nothing-to-read", severity: .info, file: context.policy.path,
            line: context.policy.profile.location.line, setting: "profile",
            message: "profile \(context.policy.profile.value.name): migfw knows no settings file of this hypervisor to audit"))
        }
        return AuditReport(findings)
    }

    private static func nothingLocal(_ context: AuditContext, fix: String) -> AuditFinding {
        AuditFinding(id: "nothing-to-read", severity: .info, file: context.policy.path,
                     line: context.policy.profile.location.line, setting: "profile",
                     message: "\(context.policy.profile.value.name) keeps its migration settings off this machine: nothing local to read",
                     fix: fix)
    }
}
