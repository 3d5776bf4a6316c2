/// Renders ``DelegationPlan`` as one idempotent PowerShell script for a domain admin.
public enum ADScript {
    public static func render(_ plan: DelegationPlan, source: String, generator: String) -> String {
        var text = ScriptSkeleton.header(
            title: "migfw: Kerberos delegation for Hyper-V live migration between the policy's trusted hosts.",
            source: HostScript.safeComment(source), generator: generator, modules: "ActiveDirectory", elevated: false,
            usage: [
                "powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\\migfw-ad.ps1 -Check",
                "powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\\migfw-ad.ps1",
            ])
        text += ScriptSkeleton.changeGate
        text += ScriptSkeleton.runtime(EmbeddedRuntime.adRuntime)
        text += ScriptSkeleton.main(body(plan))
        return text
    }

    static func body(_ plan: DelegationPlan) -> [String] {
        var lines: [String] = []
        lines.append("# The trusted named hosts (computer account, domain):")
        for host in plan.hosts { lines.append("#   \(host.name)$ in \(host.domain)") }
        lines.append("# Each may push a VM to each other one: the source's account delegates to the destination's")
        lines.append("# live migration and SMB services (same domain), or the destination accepts the source")
        lines.append("# (different domains). Changes take effect once replicated and new tickets are issued")
        lines.append("# (klist purge -li 0x3e7 on the source, or wait 15 minutes).")
        for pair in plan.pairs {
            let source = pair.source, destination = pair.destination
            if pair.crossesDomains {
                lines.append("Grant-MigfwResourceDelegation -Source \(PowerShellLiteral.quoted(source.name))"
                    + " -SourceDomain \(PowerShellLiteral.quoted(source.domain))"
                    + " -Destination \(PowerShellLiteral.quoted(destination.name))"
                    + " -DestinationDomain \(PowerShellLiteral.quoted(destination.domain))")
            } else {
                lines.append("Grant-MigfwConstrainedDelegation -Source \(PowerShellLiteral.quoted(source.name))"
                    + " -SourceDomain \(PowerShellLiteral.quoted(source.domain))"
                    + " -Destination \(PowerShellLiteral.quoted(destination.name))"
                    + " -Service \(PowerShellLiteral.array(destination.migrationServices))")
            }
        }
        return lines
    }
}
