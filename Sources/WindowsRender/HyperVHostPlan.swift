import Policy
import Prefix

/// One Windows Defender Firewall rule migfw owns.
public struct FirewallRuleSpec: Hashable, Sendable {
    public enum Action: String, Hashable, Sendable { case allow = "Allow", block = "Block" }
    public enum Direction: String, Hashable, Sendable { case inbound = "Inbound", outbound = "Outbound" }
    /// Deterministic (`migfw-allow-tcp-001`, `migfw-egress-block-tcp-001`), so a later run
    /// finds the rule again by name.
    public var name: String
    public var direction: Direction = .inbound
    public var action: Action
    /// `TCP` or `UDP`.
    public var transport: String
    /// Inbound rules: this host's listening ports. `6600`, `49152-49215`: the firewall's own
    /// port syntax. Empty on outbound rules (any local port).
    public var localPorts: [String]
    /// Outbound rules: the peer's listening ports, same syntax. Empty on inbound rules.
    public var remotePorts: [String] = []
    /// The migration NIC's alias; nil means every interface.
    public var interfaceAlias: String?
    /// At most ``FirewallAddresses/entriesPerRule`` entries, never empty.
    public var remoteAddresses: [String]
}

/// Everything the Hyper-V host script sets, derived from a policy and checked for Windows.
public struct HyperVHostPlan: Hashable, Sendable {
    /// The rule group (`New-NetFirewallRule -Group`) that marks migfw's rules.
    public static let ruleGroup = "migfw"
    /// Hyper-V's live migration listener (VMMS), whose built-in allow-any rule is disabled.
    public static let migrationPort = "6600"

    /// `Kerberos` or `CredSSP` (`Set-VMHost -VirtualMachineMigrationAuthenticationType`).
    public var authentication: String
    /// `TCPIP`, `Compression` or `SMB`; nil when the policy names no performance option.
    public var performance: String?
    /// `Add-VMMigrationNetwork -Subnet` values: canonical prefixes.
    public var migrationNetworks: [String]
    public var interfaceAlias: String?
    /// Allow rules first, then block rules, each family ascending.
    public var rules: [FirewallRuleSpec]
    /// Whether TCP 6600 is a migration port, so foreign allow-any rules on it are disabled.
    public var disablesOpenMigrationRules: Bool
    /// The policy's `egress: true`: this host may open migration connections to trusted peers only.
    public var egress = false
    /// With ``egress``: outbound block rules, per transport, for the migration-only ports to
    /// the trusted set's complement (see ``egressRules(_:alias:blocked:)``); else empty.
    public var egressRules: [FirewallRuleSpec] = []
    /// With ``egress``: the shared ports among the migration ports (`TCP 445`), which stay
    /// open outbound; else empty.
    public var egressOpenSharedPorts: [String] = []

    /// The plan for `policy`, whose trusted set the caller has compiled (``Policy/trustedSet()``).
    public static func make(_ policy: Policy, trustedSet: AggregatedPrefixes) throws(WindowsRenderError) -> HyperVHostPlan {
        var problems = RenderProblems()
        let authentication: String
        switch policy.authentication?.value {
        case nil, .kerberos?: authentication = "Kerberos"
        case .credssp?: authentication = "CredSSP"
        case let other?:
            authentication = "Kerberos"
            problems.error(policy.authentication!.location,
                           "authentication: '\(other.rawValue)' is not a Hyper-V live migration authentication type",
                           hint: "Hyper-V authenticates live migration with kerberos (recommended) or credssp")
        }
        let performance: String? = policy.performance.map {
            switch $0.value {
            case "tcpip": "TCPIP"
            case "smb": "SMB"
            default: "Compression"
            }
        }
        let alias = policy.windows?.interfaceAlias?.value
        let ports = policy.migrationPorts
        if alias == nil, ports.contains(where: { $0.coversTCP(445) }) {
            problems.error(policy.performance?.location ?? policy.profile.location,
                           "TCP 445 is a migration port, but the policy names no Windows migration NIC (windows.interface_alias): the TCP 445 block rule would cut SMB (admin shares, RPC, cluster storage) from every untrusted address on every NIC",
                           hint: "add 'windows: { interface_alias: \"vEthernet (LM)\" }' with the migration NIC's alias from Get-NetAdapter")
        }
        let networks = policy.windows?.migrationNetworks ?? policy.trusted.networks
        if networks.isEmpty {
            problems.error(policy.windows?.location ?? policy.trusted.location ?? policy.windowsLocation,
                           "no migration network: with UseAnyNetworkForMigration off, Hyper-V would accept live migration on no network",
                           hint: "list the local migration subnets in windows.migration_networks (or trusted.networks)")
        }
        try problems.throwIfAny()

        var rules: [FirewallRuleSpec] = []
        let allow = FirewallAddresses.entries(trustedSet)
        let block = FirewallAddresses.entries(FirewallAddresses.complement(trustedSet))
        for transport in TransportProtocol.allCases {
            let localPorts = ports.filter { $0.transport == transport }.map(\.range.description)
            guard !localPorts.isEmpty else { continue }
            rules += Self.rules(.allow, transport, localPorts, alias, allow)
            rules += Self.rules(.block, transport, localPorts, alias, block)
        }
        var seen = Set<String>()
        let subnets = networks.map(\.value.description).filter { seen.insert($0).inserted }
        var plan = HyperVHostPlan(
            authentication: authentication, performance: performance, migrationNetworks: subnets,
            interfaceAlias: alias, rules: rules,
            disablesOpenMigrationRules: ports.contains { $0.transport == .tcp && $0.range == PortRange(lower: 6600, upper: 6600) })
        if policy.egress {
            plan.egress = true
            plan.egressRules = egressRules(policy, alias: alias, blocked: block)
            plan.egressOpenSharedPorts = egressOpenSharedPorts(policy)
        }
        return plan
    }

    /// `entries` as numbered rules of at most ``FirewallAddresses/entriesPerRule`` entries,
    /// named `PREFIX-001`, `PREFIX-002`, ... (`PREFIX`: `migfw-allow-tcp`).
    static func numbered(_ prefix: String, _ entries: [String], _ make: (String, [String]) -> FirewallRuleSpec) -> [FirewallRuleSpec] {
        let parts = FirewallAddresses.split(entries)
        let width = max(3, String(parts.count).count)
        return parts.enumerated().map { index, part in
            let number = String(index + 1)
            return make(prefix + "-" + String(repeating: "0", count: width - number.count) + number, part)
        }
    }

    private static func rules(
        _ action: FirewallRuleSpec.Action, _ transport: TransportProtocol, _ localPorts: [String],
        _ alias: String?, _ entries: [String]
    ) -> [FirewallRuleSpec] {
        numbered("migfw-\(action.rawValue.lowercased())-\(transport.rawValue)", entries) { name, part in
            FirewallRuleSpec(name: name, action: action, transport: transport.rawValue.uppercased(),
                             localPorts: localPorts, interfaceAlias: alias, remoteAddresses: part)
        }
    }
}
