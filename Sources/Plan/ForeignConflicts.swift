import Ruleset

/// A rule or base chain of another table that can drop traffic migfw accepts, or that migfw
/// cannot read well enough to tell. On Linux a packet must be accepted by every table whose
/// base chains it meets, so such a chain silently breaks migration from trusted peers.
public struct ForeignConflict: Hashable, Sendable {
    public var family: TableFamily
    public var table: String
    public var chain: String
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

/// Finds what can drop migration traffic migfw accepts in other tables, on every hook a
/// migration packet crosses in the mode migfw's table is in: host mode prerouting and input
/// (and output and postrouting with `egress`), netdev ingress included; a routed gateway
/// prerouting, forward and postrouting; a bridged gateway the bridge family's. Chains of
/// every type (filter, nat, route). A rule is judged from its kernel expressions
/// (``RuleJudgement``): it passes migration traffic, drops it (always, or when its other
/// conditions match), or cannot be read well enough (a verdict map, a concatenation, a
/// masked port, an expression migfw does not model): then it is reported as "cannot tell",
/// never left out. Jumps and gotos are followed into the table's regular chains. Accept
/// rules are not credited: a later drop is reported even where an earlier accept would win.
/// Pure: reads the model of tables someone already read from the kernel.
public enum ForeignConflicts {
    /// The conflicts between migfw's table `migfw` (as read from the kernel) and `others`;
    /// `handles` gives rule handles by ``handleKey(_:_:)``.
    public static func find(migfw: Table, others: [Table], handles: [String: [UInt64]] = [:]) -> [ForeignConflict] {
        let traffic = MigrationTraffic(migfw)
        guard !traffic.ports.isEmpty else { return [] }
        var conflicts: [ForeignConflict] = []
        for table in others where table.family != migfw.family || table.name != migfw.name {
            guard traffic.families.contains(table.family), !table.flags.contains(.dormant) else { continue }
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
        guard let base = chain.base, let direction = traffic.direction(of: base.hook, family: table.family) else { return [] }
        var conflicts: [ForeignConflict] = []
        func add(_ reason: String, handle: UInt64?, certain: Bool) {
            conflicts.append(ForeignConflict(family: table.family, table: table.name, chain: chain.name, hook: base.hook,
                                             priority: base.priority, reason: reason, handle: handle, certain: certain))
        }
        let interfaces = traffic.interfaces(for: direction)
        for (index, rule) in chain.rules.enumerated() {
            let handle = index < handles.count ? handles[index] : nil
            let text = "rule `\(NftText.render(rule: rule))`"
            switch RuleJudgement.judge(rule, in: table, ports: traffic.ports, interfaces: interfaces, direction: direction) {
            case .passes: continue
            case .drops(let what): add("\(text) \(what)", handle: handle, certain: true)
            case .cannotTell(let why):
                let place = "table \(table.family.rawValue) \(table.name) chain \(chain.name)" + (handle.map { " handle \($0)" } ?? "")
                add("cannot tell: \(place): \(text) (\(why))", handle: handle, certain: false)
            }
        }
        if base.policy == .drop { add("policy drop: whatever its rules do not accept is dropped", handle: nil, certain: true) }
        return conflicts
    }
}

/// Which way a packet travels through a hook, as migfw's traffic does.
enum TrafficDirection { case inbound, outbound, forwarded }

/// What migfw accepts, as its own table says: the TCP ports of its `tcp_ports` set, the
/// hooks its traffic crosses, and the interfaces its base chains dispatch to the migration
/// rules (host mode).
struct MigrationTraffic {
    var ports: [ClosedRange<UInt16>] = []
    var hooks: Set<BaseChain.Hook> = []
    var interfaces: [BaseChain.Hook: [[UInt8]]] = [:]
    /// Table families whose base chains migration packets cross.
    var families: Set<TableFamily> = [.inet, .ip, .ip6, .netdev]
    var gateway = false

    init(_ table: Table) {
        for set in table.sets where set.name == "tcp_ports" {
            if case .ports(let ranges) = set.elements { ports = ranges }
        }
        if table.family == .bridge { families = [.bridge, .netdev] }
        for chain in table.chains {
            guard let base = chain.base else { continue }
            hooks.insert(base.hook)
            if base.hook == .forward { gateway = true }
            // `iifname "mig0" goto migration_in` (one per migration NIC), or a table from before
            // other NICs were closed: `iifname != "mig0" return`. Migration is accepted there only.
            for rule in chain.rules {
                let e = rule.expressions
                guard e.count >= 3, case .meta(let key, _) = e[0], key == .iifname || key == .oifname,
                      case .cmp(let op, _, let data) = e[1] else { continue }
                switch (op, e[2]) {
                case (.neq, .verdict(.return)), (.eq, .verdict(.goto)), (.eq, .verdict(.jump)):
                    interfaces[base.hook, default: []].append(RuleMatch.trimmed(data))
                default: continue
                }
            }
        }
    }

    /// How migfw's traffic crosses `hook` of a `family` table, or nil when it does not. A
    /// netdev table's hook 0 is ingress (inbound, modelled as prerouting), 1 egress.
    func direction(of hook: BaseChain.Hook, family: TableFamily) -> TrafficDirection? {
        if gateway {
            if family == .netdev { return hook == .prerouting ? .forwarded : nil }
            return [.prerouting, .forward, .postrouting].contains(hook) ? .forwarded : nil
        }
        if family == .netdev {
            switch hook {
            case .prerouting: return hooks.contains(.input) ? .inbound : nil
            case .input: return hooks.contains(.output) ? .outbound : nil
            default: return nil
            }
        }
        switch hook {
        case .prerouting, .input: return hooks.contains(.input) ? .inbound : nil
        case .output, .postrouting: return hooks.contains(.output) ? .outbound : nil
        case .forward: return nil
        }
    }

    /// The migration NICs a packet of `direction` comes in or goes out on; nil: any.
    func interfaces(for direction: TrafficDirection) -> [[UInt8]]? {
        switch direction {
        case .inbound: interfaces[.input]
        case .outbound: interfaces[.output]
        case .forwarded: nil
        }
    }
}
