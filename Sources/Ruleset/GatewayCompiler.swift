import Policy
import Prefix

/// Gateway mode (see the README, "Hyper-V and ESXi hosts"): one `forward` chain that guards
/// the migration ports of the protected hypervisors behind this machine.
///
/// Only traffic to or from a protected address on a migration port is looked at; everything
/// else crossing the gateway is left alone. Routed (`table inet migfw`): established and
/// related flows pass first, new connections to a protected host's migration ports only from
/// the trusted sets. Bridged (`table bridge migfw`): the bridge family has no conntrack on
/// the kernels migfw targets, so the rules are stateless; an allowlist on source address and
/// destination port needs no state, since replies come from the migration port.
extension RulesetCompiler {
    /// Sets in table order: trusted4, trusted6, protected4, protected6, the port sets, refused4, refused6.
    static func gatewayTable(_ policy: Policy, via: GatewayPath, trustedSets: [NamedSet], portSets: [NamedSet],
                             ports: [PortSet]) -> Table {
        let protected = policy.protectedSet()
        let sets = trustedSets + [
            NamedSet(name: NamedSet.protected4, elements: .ipv4(protected.ipv4)),
            NamedSet(name: NamedSet.protected6, elements: .ipv6(protected.ipv6)),
        ] + portSets + refusedSets
        let family: TableFamily = via == .bridge ? .bridge : .inet
        let priority = via == .bridge ? BaseChain.bridgeFilterPriority : Self.priority
        let chain = Chain(name: "forward", base: BaseChain(hook: .forward, priority: priority),
                          rules: forwardRules(policy, family: family, ports: ports))
        return Table(family: family, sets: sets, chains: [chain])
    }

    /// The address fields and sets of one IP version.
    private struct Version {
        var source: MatchField
        var destination: MatchField
        var trusted: String
        var protected: String
        var refused: String
    }

    private static let versions = [
        Version(source: .ipSaddr, destination: .ipDaddr, trusted: NamedSet.trusted4, protected: NamedSet.protected4,
                refused: NamedSet.refused4),
        Version(source: .ip6Saddr, destination: .ip6Daddr, trusted: NamedSet.trusted6, protected: NamedSet.protected6,
                refused: NamedSet.refused6),
    ]

    static func forwardRules(_ policy: Policy, family: TableFamily, ports: [PortSet]) -> [Rule] {
        func rule(_ statements: [Statement]) -> Rule { Rule(Statement.lowered(statements, family: family)) }
        func match(_ field: MatchField, _ set: String) -> Statement { .match(Match(field, .set(set))) }
        var rules: [Rule] = []
        if family == .bridge {
            // The stack takes one 802.1Q/802.1ad tag off before the bridge looks, so the rules
            // below see a single-tagged frame's IP header. A frame still tagged here carries a
            // second tag (QinQ): its addresses and ports are out of reach, so it is dropped,
            // counted, rather than passed unseen.
            for tag: [UInt8] in [[0x81, 0x00], [0x88, 0xa8]] {
                rules += dropRules(policy, condition: [.match(Match(.metaProtocol, .value(tag)))], family: family)
            }
        } else {
            // Replies and related ICMP of flows accepted below; other flows are untouched either way.
            rules.append(rule([.match(Match(.ctState, .ctState([.established, .related]))), .verdict(.accept)]))
        }
        // Into the protected hosts: trusted sources only.
        for version in versions {
            for port in ports {
                rules.append(rule([match(version.destination, version.protected), match(version.source, version.trusted),
                                   match(port.destination, port.set), .counter, .verdict(.accept)]))
            }
        }
        for version in versions {
            for port in ports {
                rules += dropRules(policy, condition: [match(version.destination, version.protected),
                                                       match(port.destination, port.set)], family: family,
                                   recording: [.update(set: version.refused, key: version.source)])
            }
        }
        // Out of the protected hosts: migration connections to trusted peers only.
        if policy.egress {
            for version in versions {
                for port in ports {
                    rules.append(rule([match(version.source, version.protected), match(version.destination, version.trusted),
                                       match(port.destination, port.set), .counter, .verdict(.accept)]))
                }
            }
            for version in versions {
                for port in ports {
                    rules += dropRules(policy, condition: [match(version.source, version.protected),
                                                           match(port.destination, port.set)], family: family)
                }
            }
        }
        return rules
    }
}
