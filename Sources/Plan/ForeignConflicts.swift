import Ruleset

/// A rule or base chain of another table that can drop traffic migfw accepts, or that migfw
/// cannot read well enough to tell. On Linux a packet must be accepted by every table whose
/// base chains it meets, so such a chain silently breaks migration from trusted peers.
public struct ForeignConflict: Hashable, Sendable {
    public var family: TableFamily
    public var table: String
    public var chain: String
    /// The chain's hook; a netdev chain's ingress is `prerouting`, its egress `input`.
    public var hook: BaseChain.Hook
    public var priority: Int32
    /// Why: `policy drop`, or the rule (nft text) and what it drops; for an uncertain one,
    /// what migfw could not read.
    public var reason: String
    /// The rule's handle, when it is a rule and the handle is known.
    public var handle: UInt64? = nil
    /// False when migfw cannot tell whether it drops migration traffic ("cannot tell").
    public var certain = true
}

/// Whether bridged frames also cross the IP families' hooks (br_netfilter's
/// `net.bridge.bridge-nf-call-iptables` and `-ip6tables` in the bridge's namespace): then
/// `inet`, `ip` and `ip6` prerouting, forward and postrouting chains see a bridged gateway's
/// traffic too.
public struct BridgeNetfilter: Hashable, Sendable {
    /// `bridge-nf-call-iptables` is 1: `ip` (and `inet`) chains see bridged IPv4.
    public var ipv4: Bool
    /// `bridge-nf-call-ip6tables` is 1: `ip6` (and `inet`) chains see bridged IPv6.
    public var ipv6: Bool

    public init(ipv4: Bool, ipv6: Bool) {
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }

    /// Not known (the sysctls could not be read): assume both are on.
    public static let unknown = BridgeNetfilter(ipv4: true, ipv6: true)
}

/// Finds what can drop migration traffic migfw accepts in other tables, on every hook a
/// migration packet crosses in the mode migfw's table is in, the replies from the migration
/// ports included. Host mode: prerouting and input for the peers' packets, output and
/// postrouting for the replies (and for this host's own migrations with `egress`), in the
/// `inet`, `ip`, `ip6` and `bridge` families (the migration NIC can be a bridge), netdev
/// ingress and egress. A routed gateway: prerouting, forward and postrouting, netdev ingress
/// and egress, the bridge family's hooks but forward. A bridged gateway: the bridge family's
/// prerouting, forward and postrouting, netdev ingress and egress, and the IP families'
/// when br_netfilter hands them bridged frames (``BridgeNetfilter``). Chains of every type
/// (filter, nat, route). A rule is judged from its kernel expressions (``RuleJudgement``),
/// by the destination port for a packet to the migration port, by the source port for a
/// reply (whose destination is the peer's ephemeral port): it passes migration traffic,
/// drops it (always, or when its other conditions match), or cannot be read well enough (a
/// verdict map, a concatenation, a masked port, an expression migfw does not model): then it
/// is reported as "cannot tell", never left out. Jumps and gotos are followed into the
/// table's regular chains. Accept rules are not credited: a later drop is reported even
/// where an earlier accept would win. Pure: reads the model of tables someone already read
/// from the kernel.
public enum ForeignConflicts {
    /// The conflicts between migfw's table `migfw` (as read from the kernel) and `others`;
    /// `handles` gives rule handles by ``handleKey(_:_:)``; `bridgeNetfilter` what the
    /// namespace's br_netfilter sysctls say (it matters for a bridged gateway only);
    /// `hostBridges` whether a host's migration NIC is a bridge (false: bridge-family chains
    /// never see its traffic and are not judged; unknown counts as true).
    public static func find(migfw: Table, others: [Table], handles: [String: [UInt64]] = [:],
                            bridgeNetfilter: BridgeNetfilter = .unknown, hostBridges: Bool = true) -> [ForeignConflict] {
        let traffic = MigrationTraffic(migfw, bridgeNetfilter: bridgeNetfilter, hostBridges: hostBridges)
        guard !traffic.ports.isEmpty else { return [] }
        var conflicts: [ForeignConflict] = []
        for table in others where table.family != migfw.family || table.name != migfw.name {
            guard traffic.crosses(table.family), !table.flags.contains(.dormant) else { continue }
            for chain in table.chains {
                conflicts += chainConflicts(chain, in: table, traffic: traffic, handles: handles[handleKey(table, chain.name)] ?? [])
            }
        }
        return conflicts
    }

    /// The key of a chain's rule handles: `FAMILY TABLE CHAIN`.
    public static func handleKey(_ table: Table, _ chain: String) -> String {
        "\(table.family.rawValue) \(table.name) \(chain)"
    }

    private static func chainConflicts(_ chain: Chain, in table: Table, traffic: MigrationTraffic,
                                       handles: [UInt64]) -> [ForeignConflict] {
        // A base chain on a hook the model has no name for (inet ingress): its rules run on
        // every packet of the interface, before everything else.
        if chain.base == nil, case .unknown(name: "chain", let detail)? = chain.rules.first?.expressions.first {
            return [ForeignConflict(family: table.family, table: table.name, chain: chain.name, hook: .prerouting, priority: 0,
                                    reason: "cannot tell: a base chain on a hook migfw does not model (\(detail))", certain: false)]
        }
        guard let base = chain.base else { return [] }
        let directions = traffic.directions(of: base.hook, family: table.family)
        guard !directions.isEmpty else { return [] }
        let note = hookNote(base.hook, family: table.family)
        var conflicts: [ForeignConflict] = []
        func add(_ reason: String, handle: UInt64?, certain: Bool) {
            conflicts.append(ForeignConflict(family: table.family, table: table.name, chain: chain.name, hook: base.hook,
                                             priority: base.priority, reason: reason + note, handle: handle, certain: certain))
        }
        for (index, rule) in chain.rules.enumerated() {
            let handle = index < handles.count ? handles[index] : nil
            let text = "rule `\(NftText.render(rule: rule))`"
            switch judge(rule, in: table, traffic: traffic, directions: directions) {
            case .passes: continue
            case .drops(let what): add("\(text) \(what)", handle: handle, certain: true)
            case .cannotTell(let why):
                let place = "table \(table.family.rawValue) \(table.name) chain \(chain.name)" + (handle.map { " handle \($0)" } ?? "")
                add("cannot tell: \(place): \(text) (\(why))", handle: handle, certain: false)
            }
        }
        if base.policy == .drop {
            let replies = directions.allSatisfy(\.isReply) ? ", replies from the migration ports too" : ""
            add("policy drop: whatever its rules do not accept is dropped\(replies)", handle: nil, certain: true)
        }
        return conflicts
    }

    /// The worst of what `rule` does to migration packets of each of `directions`: a drop
    /// before a "cannot tell", either before a pass.
    private static func judge(_ rule: Rule, in table: Table, traffic: MigrationTraffic,
                              directions: [TrafficDirection]) -> RuleJudgement {
        let judgements = directions.map {
            RuleJudgement.judge(rule, in: table, ports: traffic.ports, interfaces: traffic.interfaces(for: $0, family: table.family),
                                direction: $0)
        }
        return judgements.first { if case .drops = $0 { true } else { false } }
            ?? judgements.first { $0 != .passes } ?? .passes
    }

    /// Where the hook name misleads: the model names netdev egress (hook 1) `input`.
    private static func hookNote(_ hook: BaseChain.Hook, family: TableFamily) -> String {
        family == .netdev && hook == .input ? " [netdev egress]" : ""
    }
}
