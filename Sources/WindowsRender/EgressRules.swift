import Policy

/// `egress: true` on a Hyper-V host: like the Linux host's `output` chain, this host may open
/// migration connections to trusted peers only. Windows Defender Firewall allows outbound by
/// default, so one Block rule per transport does it: remote port a migration-only port,
/// remote address the trusted set's complement, on the migration NIC when the policy names it.
extension HyperVHostPlan {
    /// The outbound block rules for `policy`'s migration-only ports, `blocked` being the
    /// complement's firewall entries (split like the inbound block rules):
    /// `migfw-egress-block-tcp-001`, ...
    ///
    /// Shared ports are left out on purpose (``Policy/migrationOnlyPorts`` has them cut out).
    /// With the SMB performance option TCP 445 is a migration port, but this host's SMB
    /// client also reaches every file server, every domain controller (SYSVOL and NETLOGON,
    /// so group policy) and the cluster's storage on remote port 445: blocking it outbound
    /// to every untrusted address would break group policy and file shares. Inbound 445 stays
    /// guarded by the block rule on the migration NIC.
    static func egressRules(_ policy: Policy, alias: String?, blocked: [String]) -> [FirewallRuleSpec] {
        var rules: [FirewallRuleSpec] = []
        let only = policy.migrationOnlyPorts
        for transport in TransportProtocol.allCases {
            let remotePorts = only.filter { $0.transport == transport }.map(\.range.description)
            guard !remotePorts.isEmpty else { continue }
            rules += numbered("migfw-egress-block-\(transport.rawValue)", blocked) { name, part in
                FirewallRuleSpec(name: name, direction: .outbound, action: .block, transport: transport.rawValue.uppercased(),
                                 localPorts: [], remotePorts: remotePorts, interfaceAlias: alias, remoteAddresses: part)
            }
        }
        return rules
    }

    /// The shared ports (`TCP 445`) that are also migration ports of `policy`: what egress
    /// leaves open outbound, named in the script so nobody takes the gap for an oversight.
    static func egressOpenSharedPorts(_ policy: Policy) -> [String] {
        let migration = policy.migrationPorts
        let shared = Set(policy.profile.value.shared + policy.shared.map(\.value)).sorted()
        return shared.filter { port in
            migration.contains { $0.transport == port.transport && $0.range.lower <= port.range.upper && port.range.lower <= $0.range.upper }
        }.map { "\($0.transport.rawValue.uppercased()) \($0.range)" }
    }
}
