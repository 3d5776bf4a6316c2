import Policy
import Prefix

/// Gateway mode (see docs/gateway-mode.md): one `forward` chain that guards
/// the migration ports of the protected hypervisors behind this machine.
///
/// Only traffic to or from a protected address on a migration port is looked at; everything
/// else crossing the gateway is left alone. Routed (`table inet migfw`): established and
/// related flows pass first, new connections to a protected host's migration ports only from
/// the trusted sets. Bridged (`table bridge migfw`): the bridge family has no conntrack on
/// the kernels migfw targets, so the rules are stateless; an allowlist on source address and
/// destination port needs no state, since replies come from the migration port.
extension RulesetCompiler {
    /// Sets in table order: trusted4, trusted6, protected4, protected6, the port sets (the
    /// migration-only ones included), refused4, refused6.
    ///
    /// The protected addresses are guarded on every migration port, as the policy lists them.
    /// The interfaces toward the hosts, and the gateway's own connections, only on the
    /// migration-only ports: other hosts on that side keep their shared services (SSH, SMB,
    /// libvirtd's management) and so does the gateway's admin.
    static func gatewayTable(_ policy: Policy, via: GatewayPath, trustedSets: [NamedSet], portSets: [NamedSet],
                             ports: [PortSet]) -> Table {
        let protected = policy.protectedSet()
        let only = Self.portSets(policy.migrationOnlyPorts, names: migrationOnlySets)
        let sets = trustedSets + [
            NamedSet(name: NamedSet.protected4, elements: .ipv4(protected.ipv4)),
            NamedSet(name: NamedSet.protected6, elements: .ipv6(protected.ipv6)),
        ] + portSets + only.map { NamedSet(name: $0.set, elements: .ports($0.ranges)) } + refusedSets
        let family: TableFamily = via == .bridge ? .bridge : .inet
        let priority = via == .bridge ? BaseChain.bridgeFilterPriority : Self.priority
        let forward = GatewayPorts(addresses: ports, interfaces: only)
        var chains = [Chain(name: "forward", base: BaseChain(hook: .forward, priority: priority),
                            rules: forwardRules(policy, family: family, ports: forward))]
        // The gateway's own connections (a local connect, a relay such as `ssh -L`) leave
        // through the output hook, not forward: the rules toward the protected hosts, on the
        // migration-only ports, recording no refused source (it would be the gateway itself).
        let own = GatewayPorts(addresses: only, interfaces: only)
        if !only.isEmpty {
            chains.append(Chain(name: "output", base: BaseChain(hook: .output, priority: priority),
                                rules: stateRules(family) + inboundRules(policy, family: family, ports: own, recordRefused: false)))
        }
        if policy.egress && !only.isEmpty {
            chains.append(Chain(name: "input", base: BaseChain(hook: .input, priority: priority),
                                rules: stateRules(family) + egressRules(policy, family: family, ports: own)))
        }
        return Table(family: family, sets: sets, chains: chains)
    }

    /// The port sets a gateway's rules guard: on the protected addresses, and on the
    /// interfaces toward the hosts.
    struct GatewayPorts {
        var addresses: [PortSet]
        var interfaces: [PortSet]
    }

    /// Routed: replies and related ICMP of accepted flows first. Bridged: nothing (no conntrack).
    private static func stateRules(_ family: TableFamily) -> [Rule] {
        family == .bridge ? [] : [Rule(Statement.lowered([.match(Match(.ctState, .ctState([.established, .related]))), .verdict(.accept)],
                                                         family: family))]
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

    static func forwardRules(_ policy: Policy, family: TableFamily, ports: GatewayPorts) -> [Rule] {
        var rules: [Rule] = []
        if family == .bridge {
            // The stack takes one 802.1Q/802.1ad tag off before the bridge looks, so the rules
            // below see a single-tagged frame's IP header. A frame still tagged here carries a
            // second tag (QinQ): its addresses and ports are out of reach, so it is dropped,
            // counted, rather than passed unseen. So is a frame whose outer tag the stack does
            // not take off at all: the older QinQ tag types 0x9100, 0x9200 and 0x9300.
            for tag: [UInt8] in [[0x81, 0x00], [0x88, 0xa8], [0x91, 0x00], [0x92, 0x00], [0x93, 0x00]] {
                rules += dropRules(policy, condition: [.match(Match(.metaProtocol, .value(tag)))], family: family)
            }
        }
        return rules + stateRules(family) + inboundRules(policy, family: family, ports: ports)
            + (policy.egress ? egressRules(policy, family: family, ports: ports) : [])
    }

    /// One way to tell traffic of the protected hosts: a condition and the IP versions it
    /// can carry (a protected set is one version; an interface carries both).
    private struct ProtectedPath {
        var condition: Statement
        var versions: [Version]
    }

    /// By the protected addresses, then by the interfaces toward the hosts (`toward`: the
    /// field naming them, oifname into the hosts, iifname out of them).
    private static func paths(_ policy: Policy, address: (Version) -> (MatchField, String), interface: MatchField) -> [ProtectedPath] {
        versions.map { version in
            let (field, set) = address(version)
            return ProtectedPath(condition: .match(Match(field, .set(set))), versions: [version])
        } + policy.protectedSideInterfaces.map { ProtectedPath(condition: .match(Match(interface, .interface($0))), versions: versions) }
    }

    /// Into the protected hosts, trusted sources only: first by the protected addresses,
    /// then by the interfaces toward them, which covers every address a host has there.
    static func inboundRules(_ policy: Policy, family: TableFamily, ports: GatewayPorts, recordRefused: Bool = true) -> [Rule] {
        let paths = paths(policy, address: { ($0.destination, $0.protected) }, interface: .oifname)
        return guarded(policy, paths, family: family, ports: ports, peer: { ($0.source, $0.trusted) }, recordRefused: recordRefused)
    }

    /// Out of the protected hosts (`egress`): migration connections to trusted peers only.
    static func egressRules(_ policy: Policy, family: TableFamily, ports: GatewayPorts) -> [Rule] {
        let paths = paths(policy, address: { ($0.source, $0.protected) }, interface: .iifname)
        return guarded(policy, paths, family: family, ports: ports, peer: { ($0.destination, $0.trusted) }, recordRefused: false)
    }

    /// For each path: accept migration ports when the peer is trusted, then drop them. An
    /// address path's accepts all come before its drops, as the kernel table always had them.
    private static func guarded(_ policy: Policy, _ paths: [ProtectedPath], family: TableFamily, ports: GatewayPorts,
                                peer: (Version) -> (MatchField, String), recordRefused: Bool) -> [Rule] {
        // An address path is one IP version; an interface path carries both.
        func portSets(_ path: ProtectedPath) -> [PortSet] { path.versions.count == 1 ? ports.addresses : ports.interfaces }
        func accepts(_ path: ProtectedPath) -> [Rule] {
            path.versions.flatMap { version in
                portSets(path).map { port in
                    let (field, set) = peer(version)
                    return Rule(Statement.lowered([path.condition, .match(Match(field, .set(set))),
                                                   .match(Match(port.destination, .set(port.set))), .counter, .verdict(.accept)],
                                                  family: family))
                }
            }
        }
        func drops(_ path: ProtectedPath) -> [Rule] {
            portSets(path).flatMap { port in
                dropRules(policy, condition: [path.condition, .match(Match(port.destination, .set(port.set)))], family: family,
                          recording: recordRefused ? path.versions.map { .update(set: $0.refused, key: $0.source) } : [])
            }
        }
        let addressPaths = paths.filter { $0.versions.count == 1 }
        let interfacePaths = paths.filter { $0.versions.count > 1 }
        return addressPaths.flatMap(accepts) + addressPaths.flatMap(drops)
            + interfacePaths.flatMap { accepts($0) + drops($0) }
    }
}
