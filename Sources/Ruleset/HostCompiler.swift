import Policy

/// Host mode's chains: the base chains dispatch by interface; the migration NIC(s) get the
/// policy's rules in a regular chain, and every other interface (loopback excepted) has the
/// migration-only ports closed, since QEMU, libvirtd and Proxmox listen on every address by
/// default and would otherwise take migration from anyone on the management network.
extension RulesetCompiler {
    /// The sets of migration-only ports (TCP, UDP): closed on every NIC but the migration NICs.
    public static let migrationOnlySets = (tcp: "tcp_migration_only", udp: "udp_migration_only")
    /// The regular chain holding the inbound rules of the migration NIC(s).
    public static let migrationInputChain = "migration_in"
    /// The regular chain holding the outbound rules of the migration NIC(s) (`egress`).
    public static let migrationOutputChain = "migration_out"

    /// Regular chains first: a batch creates a table's chains in order, and a `goto` needs
    /// its chain to exist already.
    static func hostChains(_ policy: Policy, ports: [PortSet], closedElsewhere: [PortSet]) -> [Chain] {
        var chains = [
            Chain(name: migrationInputChain, rules: migrationNICInputRules(policy, ports: ports)),
        ]
        if policy.egress { chains.append(Chain(name: migrationOutputChain, rules: migrationNICOutputRules(policy, ports: ports))) }
        chains.append(Chain(name: "input", base: BaseChain(hook: .input, priority: priority),
                            rules: dispatch(policy, field: .iifname, to: migrationInputChain)
                                + otherInterfaceRules(policy, field: .iifname, closed: closedElsewhere, recording: true)))
        if policy.egress {
            chains.append(Chain(name: "output", base: BaseChain(hook: .output, priority: priority),
                                rules: dispatch(policy, field: .oifname, to: migrationOutputChain)
                                    + otherInterfaceRules(policy, field: .oifname, closed: closedElsewhere, recording: false)))
        }
        return chains
    }

    /// `iifname "mig0" goto migration_in`, one rule per migration NIC: at the end of the
    /// regular chain the base chain's policy (accept) decides, as before.
    private static func dispatch(_ policy: Policy, field: MatchField, to chain: String) -> [Rule] {
        policy.interfaces.map { rule(.match(Match(field, .interface($0.value))), .verdict(.goto(chain))) }
    }

    /// On every other interface: loopback and established flows pass (this host's own
    /// outgoing connections may use an ephemeral port inside a migration range); new
    /// connections to a migration-only port are dropped from any source, and recorded.
    private static func otherInterfaceRules(_ policy: Policy, field: MatchField, closed: [PortSet], recording: Bool) -> [Rule] {
        guard !closed.isEmpty else { return [] }
        var rules = [
            rule(.match(Match(field, .interface("lo"))), .verdict(.return)),
            rule(.match(Match(.ctState, .ctState([.established, .related]))), .verdict(.return)),
        ]
        for port in closed {
            rules += dropRules(policy, condition: [.match(Match(port.destination, .set(port.set)))],
                               recording: recording ? recordBothVersions : [])
        }
        return rules
    }

    static func migrationNICInputRules(_ policy: Policy, ports: [PortSet]) -> [Rule] {
        var rules = [
            rule(.match(Match(.ctState, .ctState([.established, .related]))), .verdict(.accept)),
            rule(.match(Match(.ctState, .ctState(.invalid))), .counter, .verdict(.drop)),
        ]
        rules += icmpRules
        for port in ports {
            rules.append(rule(.match(Match(.ipSaddr, .set(NamedSet.trusted4))),
                              .match(Match(port.destination, .set(port.set))), .counter, .verdict(.accept)))
            rules.append(rule(.match(Match(.ip6Saddr, .set(NamedSet.trusted6))),
                              .match(Match(port.destination, .set(port.set))), .counter, .verdict(.accept)))
        }
        if policy.dedicated {
            rules += dropRules(policy, condition: [], recording: recordBothVersions)
        } else {
            for port in ports {
                rules += dropRules(policy, condition: [.match(Match(port.destination, .set(port.set)))],
                                   recording: recordBothVersions)
            }
        }
        return rules
    }

    static func migrationNICOutputRules(_ policy: Policy, ports: [PortSet]) -> [Rule] {
        // Replies of accepted inbound flows may go to ephemeral ports inside a migration range.
        var rules = [rule(.match(Match(.ctState, .ctState([.established, .related]))), .verdict(.accept))]
        for port in ports {
            rules.append(rule(.match(Match(.ipDaddr, .set(NamedSet.trusted4))),
                              .match(Match(port.destination, .set(port.set))), .counter, .verdict(.accept)))
            rules.append(rule(.match(Match(.ip6Daddr, .set(NamedSet.trusted6))),
                              .match(Match(port.destination, .set(port.set))), .counter, .verdict(.accept)))
        }
        for port in ports {
            rules += dropRules(policy, condition: [.match(Match(port.destination, .set(port.set)))])
        }
        return rules
    }
}
