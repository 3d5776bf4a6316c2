import Ruleset

/// A base chain of another table that can drop traffic migfw accepts. On Linux a packet must
/// be accepted by every table whose base chains it meets, so such a chain silently breaks
/// migration from trusted peers.
public struct ForeignConflict: Hashable, Sendable {
    public var family: TableFamily
    public var table: String
    public var chain: String
    public var hook: BaseChain.Hook
    public var priority: Int32
    /// Why: `policy drop`, or the rule (nft text) and what it drops.
    public var reason: String
}

/// Finds base chains of other tables, on the hooks migfw's traffic passes, that drop what
/// migfw accepts: a drop policy, an unconditional drop or reject, or a drop or reject rule
/// matching a migration port (TCP destination port by value, range or set). Pure: reads the
/// model of tables someone already read from the kernel.
///
/// Not followed: jumps to regular chains, and conditions other than the interface and the
/// destination port (a drop of one source address on a migration port is reported).
public enum ForeignConflicts {
    /// The conflicts between migfw's table `migfw` (as read from the kernel) and `others`.
    public static func find(migfw: Table, others: [Table]) -> [ForeignConflict] {
        let traffic = MigrationTraffic(migfw)
        guard !traffic.ports.isEmpty else { return [] }
        var conflicts: [ForeignConflict] = []
        for table in others where table.family != migfw.family || table.name != migfw.name {
            guard [.inet, .ip, .ip6].contains(table.family), !table.flags.contains(.dormant) else { continue }
            for chain in table.chains {
                guard let base = chain.base, base.type != .nat, traffic.passes(base.hook) else { continue }
                let interfaces = traffic.interfaces(for: base.hook)
                func add(_ reason: String) {
                    conflicts.append(ForeignConflict(family: table.family, table: table.name, chain: chain.name,
                                                     hook: base.hook, priority: base.priority, reason: reason))
                }
                for rule in chain.rules {
                    let match = RuleMatch(rule, in: table)
                    let candidates: [[UInt8]?] = interfaces.map { $0.map(Optional.some) } ?? [nil]
                    if let what = candidates.lazy.compactMap({ match.drops(ports: traffic.ports, interface: $0) }).first {
                        add("rule `\(NftText.render(rule: rule))` \(what)")
                    }
                }
                if base.policy == .drop { add("policy drop: whatever its rules do not accept is dropped") }
            }
        }
        return conflicts
    }
}

/// What migfw accepts, as its own table says: the TCP ports of its `tcp_ports` set, on the
/// interface its base chains are limited to.
struct MigrationTraffic {
    var ports: [ClosedRange<UInt16>] = []
    var hooks: Set<BaseChain.Hook> = []
    var interfaces: [BaseChain.Hook: [[UInt8]]] = [:]

    init(_ table: Table) {
        for set in table.sets where set.name == "tcp_ports" {
            if case .ports(let ranges) = set.elements { ports = ranges }
        }
        for chain in table.chains {
            guard let base = chain.base else { continue }
            hooks.insert(base.hook)
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

    /// Whether migfw's traffic meets `hook` (prerouting before input, postrouting after output).
    func passes(_ hook: BaseChain.Hook) -> Bool {
        switch hook {
        case .prerouting, .input: hooks.contains(.input)
        case .output, .postrouting: hooks.contains(.output)
        case .forward: false
        }
    }

    func interfaces(for hook: BaseChain.Hook) -> [[UInt8]]? {
        switch hook {
        case .prerouting, .input: interfaces[.input]
        case .output, .postrouting: interfaces[.output]
        case .forward: nil
        }
    }
}

/// One rule read as matches on loaded registers, enough to tell whether it drops migration
/// traffic.
struct RuleMatch {
    enum Load { case inputName, outputName, destinationPort, transportProtocol, family, other }

    var drops = false
    /// The destination ports it matches, when it tests them (nil: it does not).
    var ports: [ClosedRange<UInt16>]?
    /// Interface name tests: `iifname "eth0"` compares the name with its NUL (exact),
    /// `iifname "eth*"` only the prefix.
    var interfaceTests: [(op: CmpOp, name: [UInt8], exact: Bool)] = []
    /// It tests something else too (addresses, connection state...).
    var conditional = false
    /// It matches a transport protocol other than TCP.
    var notTCP = false

    init(_ rule: Rule, in table: Table) {
        var loads: [Register: Load] = [:]
        for expression in rule.expressions {
            switch expression {
            case .meta(let key, let dreg):
                switch key {
                case .iifname: loads[dreg] = .inputName
                case .oifname: loads[dreg] = .outputName
                case .l4proto: loads[dreg] = .transportProtocol
                case .nfproto: loads[dreg] = .family
                default: loads[dreg] = .other
                }
            case .payload(.transport, 2, 2, let dreg):
                loads[dreg] = .destinationPort
            case .payload(_, _, _, let dreg), .bitwise(_, let dreg, _, _, _), .ct(_, let dreg):
                loads[dreg] = .other
            case .cmp(let op, let sreg, let data):
                switch loads[sreg] ?? .other {
                case .inputName, .outputName: interfaceTests.append((op, Self.trimmed(data), data.contains(0)))
                case .destinationPort where data.count == 2:
                    let port = UInt16(data[0]) << 8 | UInt16(data[1])
                    switch op {
                    case .eq: narrow([port...port])
                    case .neq: narrow(Self.complement([port...port]))
                    case .lt: narrow(port == 0 ? [] : [0...(port - 1)])
                    case .lte: narrow([0...port])
                    case .gt: narrow(port == .max ? [] : [(port + 1)...UInt16.max])
                    case .gte: narrow([port...UInt16.max])
                    }
                case .transportProtocol where data.count == 1:
                    // IPPROTO_TCP is 6.
                    if (op == .eq && data[0] != 6) || (op == .neq && data[0] == 6) { notTCP = true }
                case .family:
                    break
                default: conditional = true
                }
            case .range(let op, let sreg, let from, let to):
                if loads[sreg] == .destinationPort, from.count == 2, to.count == 2 {
                    let range = (UInt16(from[0]) << 8 | UInt16(from[1]))...(UInt16(to[0]) << 8 | UInt16(to[1]))
                    narrow(op == .eq ? [range] : Self.complement([range]))
                } else {
                    conditional = true
                }
            case .lookup(let name, let sreg, let inverted):
                if loads[sreg] == .destinationPort, let set = table.sets.first(where: { $0.name == name }),
                   case .ports(let ranges) = set.elements {
                    narrow(inverted ? Self.complement(ranges) : ranges)
                } else {
                    conditional = true
                }
            case .verdict(.drop):
                drops = true
            case .unknown(let name, _) where name == "reject":
                drops = true
            case .counter, .log, .limit, .verdict, .unknown, .dynsetUpdate:
                break
            }
        }
    }

    /// What it drops of traffic to `migrationPorts` on `interface`, as words; nil if nothing.
    func drops(ports migrationPorts: [ClosedRange<UInt16>], interface: [UInt8]?) -> String? {
        guard drops, !notTCP else { return nil }
        if let interface {
            for test in interfaceTests {
                let matches = test.exact ? test.name == interface : interface.starts(with: test.name)
                if (test.op == .eq && !matches) || (test.op == .neq && matches) { return nil }
            }
        }
        guard let ports else {
            return conditional ? nil : "drops every packet that reaches it"
        }
        let hit = Self.intersection(ports, migrationPorts)
        guard !hit.isEmpty else { return nil }
        let text = hit.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
        return "drops TCP dport \(text.joined(separator: ", ")) (migration \(hit.count == 1 && hit[0].count == 1 ? "port" : "ports"))"
            + (conditional ? " when its other conditions match" : "")
    }

    private mutating func narrow(_ ranges: [ClosedRange<UInt16>]) {
        ports = ports.map { Self.intersection($0, ranges) } ?? ranges
    }

    static func trimmed(_ data: [UInt8]) -> [UInt8] {
        Array(data.prefix { $0 != 0 })
    }

    static func complement(_ ranges: [ClosedRange<UInt16>]) -> [ClosedRange<UInt16>] {
        var result: [ClosedRange<UInt16>] = []
        var next: UInt32 = 0
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if UInt32(range.lowerBound) > next { result.append(UInt16(next)...(range.lowerBound - 1)) }
            next = max(next, UInt32(range.upperBound) + 1)
        }
        if next <= 0xFFFF { result.append(UInt16(next)...0xFFFF) }
        return result
    }

    static func intersection(_ a: [ClosedRange<UInt16>], _ b: [ClosedRange<UInt16>]) -> [ClosedRange<UInt16>] {
        var result: [ClosedRange<UInt16>] = []
        for x in a {
            for y in b where x.overlaps(y) {
                result.append(max(x.lowerBound, y.lowerBound)...min(x.upperBound, y.upperBound))
            }
        }
        return result.sorted { $0.lowerBound < $1.lowerBound }
    }
}
