/// The host script's outbound part (`egress: true`): a comment that says what is blocked and
/// what is left open, then one `Sync-MigfwEgressRule` call per rule
/// (templates/windows/egress-runtime.ps1).
extension HostScript {
    static func egressLines(_ plan: HyperVHostPlan) -> [String] {
        var lines: [String] = []
        let count = plan.egressRules.reduce(0) { $0 + $1.remoteAddresses.count }
        let ports = plan.egressRules.map { "\($0.transport) \($0.remotePorts.joined(separator: ","))" }
        var seen = Set<String>()
        let blocked = ports.filter { seen.insert($0).inserted }
        lines.append("")
        if blocked.isEmpty {
            lines.append("# egress: every migration port is a shared one, so no outbound rule (see below).")
        } else {
            lines.append("# egress: this host opens migration connections to the trusted set only; outbound")
            lines.append("# \(blocked.joined(separator: " and ")) to everything else is blocked (\(count) entries).")
        }
        if !plan.egressOpenSharedPorts.isEmpty {
            lines.append("# Shared ports stay open outbound (\(plan.egressOpenSharedPorts.joined(separator: ", "))): this host's own clients")
            lines.append("# use them for other services too.")
            if plan.egressOpenSharedPorts.contains("TCP 445") {
                lines.append("# On TCP 445 the SMB client reaches file servers, the domain controllers' SYSVOL and")
                lines.append("# NETLOGON (group policy) and cluster storage: blocking it would break them.")
            }
        }
        for rule in plan.egressRules {
            lines += ruleCall("Sync-MigfwEgressRule", rule, ports: ("-RemotePort", rule.remotePorts))
        }
        lines.append("")
        lines.append("# Every other rule in group '\(HyperVHostPlan.ruleGroup)', inbound or outbound, is removed.")
        return lines
    }
}
