import Policy
import Prefix

/// Compiles a policy into migfw's nftables table (see docs/host-mode.md, "The ruleset").
///
/// Everything the rules refer to is a named set, so a change of trusted prefixes or ports is
/// an element delta on a set, never a rule rewrite, and a plan can show it element by element.
/// The table's shape (sets, chains, rules) depends only on the interface, the port protocols
/// and the mode flags, not on the addresses.
public enum RulesetCompiler {
    /// The named port set for TCP migration ports.
    public static let tcpPortsSet = "tcp_ports"
    /// The named port set for UDP migration ports (only when the policy has any).
    public static let udpPortsSet = "udp_ports"
    /// The prefix of every log line migfw's rules write.
    public static let logPrefix = "migfw drop: "
    /// The base chains' hook priority (`priority filter`).
    public static let priority: Int32 = 0

    /// The table for `policy`.
    public static func compile(_ policy: Policy) -> Table {
        compile(policy, trustedSet: policy.trustedSet())
    }

    /// The table for `policy`, whose ``Policy/trustedSet()`` the caller has already computed.
    public static func compile(_ policy: Policy, trustedSet trusted: AggregatedPrefixes) -> Table {
        let ports = portSets(policy.migrationPorts)
        var sets = [
            NamedSet(name: NamedSet.trusted4, elements: .ipv4(trusted.ipv4)),
            NamedSet(name: NamedSet.trusted6, elements: .ipv6(trusted.ipv6)),
        ]
        let portSets = ports.map { NamedSet(name: $0.set, elements: .ports($0.ranges)) }
        if let gateway = policy.gateway {
            return gatewayTable(policy, via: gateway.via, trustedSets: sets, portSets: portSets, ports: ports)
        }
        let closed = policy.otherInterfacesPolicy == .drop ? RulesetCompiler.portSets(policy.migrationOnlyPorts, names: migrationOnlySets) : []
        sets += portSets + closed.map { NamedSet(name: $0.set, elements: .ports($0.ranges)) } + refusedSets
        return Table(sets: sets, chains: hostChains(policy, ports: ports, closedElsewhere: closed))
    }

    /// One transport's migration ports: the set that holds them and the field they match.
    struct PortSet {
        var set: String
        var destination: MatchField
        var ranges: [ClosedRange<UInt16>]
    }

    /// Migration ports per protocol, merged into sorted, disjoint, non-adjacent ranges, in
    /// the sets `names` (TCP, UDP).
    static func portSets(_ ports: [MigrationPort], names: (tcp: String, udp: String) = (tcpPortsSet, udpPortsSet)) -> [PortSet] {
        let layout: [(TransportProtocol, String, MatchField)] = [
            (.tcp, names.tcp, .tcpDport), (.udp, names.udp, .udpDport),
        ]
        return layout.compactMap { transport, set, field in
            let ranges = mergedRanges(ports.filter { $0.transport == transport }.map { $0.range.lower...$0.range.upper })
            return ranges.isEmpty ? nil : PortSet(set: set, destination: field, ranges: ranges)
        }
    }

    static func mergedRanges(_ ranges: [ClosedRange<UInt16>]) -> [ClosedRange<UInt16>] {
        var merged: [ClosedRange<UInt16>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, Int(range.lowerBound) <= Int(last.upperBound) + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// ICMP errors (path MTU discovery needs them) and IPv6 neighbour discovery, from anyone:
    /// without them a dedicated IPv6 link cannot even resolve its neighbours.
    static let icmpRules: [Rule] = [
        rule(.match(Match(.icmpType, .value([3]))), .verdict(.accept)),                 // destination-unreachable
        rule(.match(Match(.icmpType, .range(from: [11], to: [12]))), .verdict(.accept)),  // time-exceeded, parameter-problem
        rule(.match(Match(.icmpv6Type, .range(from: [1], to: [4]))), .verdict(.accept)),  // unreachable .. parameter-problem
        // MLD query/report/done and MLDv2 report: on a switch with MLD snooping, a host that
        // never answers queries stops receiving the solicited-node multicast ND relies on.
        rule(.match(Match(.icmpv6Type, .range(from: [130], to: [132]))), .verdict(.accept)),
        rule(.match(Match(.icmpv6Type, .range(from: [133], to: [136]))), .verdict(.accept)), // router/neighbour sol/adv
        rule(.match(Match(.icmpv6Type, .value([143]))), .verdict(.accept)),
    ]

    /// The dynamic sets the inbound drop rules record refused sources in.
    static let refusedSets = [NamedSet.refused(ipv6: false), NamedSet.refused(ipv6: true)]

    /// Both versions' source recorders, for a drop whose condition names no IP version: each
    /// `update` carries its own version dependency, so one rule per version.
    static let recordBothVersions: [Statement] = [
        .update(set: NamedSet.refused4, key: .ipSaddr), .update(set: NamedSet.refused6, key: .ip6Saddr),
    ]

    /// `[CONDITION] update @refusedN { SADDR }` for each of `recording`, then
    /// `[CONDITION] limit ... log ...` when logging, then `[CONDITION] counter drop`.
    /// The kernel counts each refused source in the set's per-element counter.
    static func dropRules(_ policy: Policy, condition: [Statement], family: TableFamily = .inet,
                          recording: [Statement] = []) -> [Rule] {
        var rules = recording.map { Rule(Statement.lowered(condition + [$0], family: family)) }
        if policy.log.drops {
            let rate = RateSpec(count: UInt64(policy.log.rate.count), unitSeconds: policy.log.rate.unit.seconds)
            rules.append(Rule(Statement.lowered(condition + [.limit(rate), .log(prefix: logPrefix, level: nil)], family: family)))
        }
        rules.append(Rule(Statement.lowered(condition + [.counter, .verdict(.drop)], family: family)))
        return rules
    }

    static func rule(_ statements: Statement...) -> Rule {
        Rule(Statement.lowered(statements))
    }
}
