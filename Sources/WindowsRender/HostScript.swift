import Foundation

/// Renders ``HyperVHostPlan`` as one idempotent PowerShell script for a Hyper-V host.
public enum HostScript {
    /// The script; `source` names the policy in its header (as the user wrote its path).
    public static func render(_ plan: HyperVHostPlan, source: String, generator: String) -> String {
        var text = ScriptSkeleton.header(
            title: "migfw: Hyper-V live migration settings and firewall rules for this host.",
            source: safeComment(source), generator: generator, modules: "Hyper-V, NetSecurity", elevated: true,
            usage: [
                "powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\\migfw-hyperv.ps1 -Check",
                "powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\\migfw-hyperv.ps1",
            ])
        text += "$script:MigfwGroup = \(PowerShellLiteral.quoted(HyperVHostPlan.ruleGroup))\n"
        text += ScriptSkeleton.changeGate
        text += ScriptSkeleton.runtime(EmbeddedRuntime.addressIntervals)
        text += ScriptSkeleton.runtime(EmbeddedRuntime.hostRuntime)
        if !plan.egressRules.isEmpty { text += ScriptSkeleton.runtime(EmbeddedRuntime.egressRuntime) }
        text += ScriptSkeleton.main(body(plan))
        return text
    }

    static func body(_ plan: HyperVHostPlan) -> [String] {
        var lines: [String] = []
        let allowCount = plan.rules.filter { $0.action == .allow }.reduce(0) { $0 + $1.remoteAddresses.count }
        let blockCount = plan.rules.filter { $0.action == .block }.reduce(0) { $0 + $1.remoteAddresses.count }
        lines.append("Test-MigfwLocalRulesApply")
        lines.append("")
        lines.append("# Windows Defender Firewall, group '\(HyperVHostPlan.ruleGroup)': allow the trusted set (\(allowCount) entries),")
        lines.append("# block everything else (\(blockCount) entries). A block rule wins over every allow rule, so no")
        lines.append("# other rule can open these ports to an untrusted source. At most \(FirewallAddresses.entriesPerRule) entries a rule.")
        for rule in plan.rules {
            lines += ruleCall("Sync-MigfwFirewallRule", rule, ports: ("-LocalPort", rule.localPorts))
        }
        if plan.disablesOpenMigrationRules {
            lines.append("Disable-MigfwOpenMigrationRules -Protocol 'TCP' -LocalPort \(PowerShellLiteral.quoted(HyperVHostPlan.migrationPort))")
        }
        if plan.egress { lines += egressLines(plan) }
        lines.append("Remove-MigfwStaleRules -Keep \(PowerShellLiteral.array((plan.rules + plan.egressRules).map(\.name)))")
        lines.append("")
        lines.append("# Hyper-V: incoming live migration only on these local subnets.")
        lines.append("Sync-MigfwMigrationNetworks -Subnet \(PowerShellLiteral.array(plan.migrationNetworks))")
        lines.append("")
        lines.append("# Hyper-V: live migration on, authenticated by \(plan.authentication), over the networks above only.")
        var host = "Sync-MigfwVMHost -AuthenticationType \(PowerShellLiteral.quoted(plan.authentication))"
        if let performance = plan.performance { host += " -PerformanceOption \(PowerShellLiteral.quoted(performance))" }
        lines.append(host)
        return lines
    }

    /// Text for the comment header: printable ASCII without `#>` (which would end the block).
    /// One `FUNCTION -Name ... -Action ... -Protocol ... PORTS [-InterfaceAlias ...] -RemoteAddress @(...)`
    /// call and its address column: the inbound rules name `-LocalPort`, the egress rules
    /// `-RemotePort`.
    static func ruleCall(_ function: String, _ rule: FirewallRuleSpec, ports: (parameter: String, values: [String])) -> [String] {
        var call = "\(function) -Name \(PowerShellLiteral.quoted(rule.name))"
        call += " -Action \(PowerShellLiteral.quoted(rule.action.rawValue))"
        call += " -Protocol \(PowerShellLiteral.quoted(rule.transport))"
        call += " \(ports.parameter) \(PowerShellLiteral.array(ports.values))"
        if let alias = rule.interfaceAlias { call += " -InterfaceAlias \(PowerShellLiteral.quoted(alias))" }
        var entries: [String] = []
        call += " -RemoteAddress " + ScriptSkeleton.column(rule.remoteAddresses, into: &entries)
        return [call] + entries
    }

    static func safeComment(_ text: String) -> String {
        let printable = String(String.UnicodeScalarView(text.unicodeScalars.map {
            $0.value >= 0x20 && $0.value < 0x7f ? $0 : "?"
        }))
        return printable.replacingOccurrences(of: "#>", with: "#?").replacingOccurrences(of: "<#", with: "?#")
    }
}
