import Ruleset

/// What a foreign rule does to a migration packet migfw accepts, read from its kernel
/// expressions.
enum RuleJudgement: Equatable {
    /// It cannot drop the packet: it never matches it, or it matches and does not drop.
    case passes
    /// It drops (or rejects) the packet: always, or when its other conditions match.
    case drops(String)
    /// It might: migfw cannot read part of it well enough to say (the reason).
    case cannotTell(String)

    /// Judges `rule` of `table` for TCP packets of migration connections on `ports`
    /// travelling in `direction` over one of `interfaces` (nil: any); jumps are followed into
    /// `table`'s chains. A request has the migration port as its destination port, a reply
    /// as its source port.
    static func judge(_ rule: Rule, in table: Table, ports: [ClosedRange<UInt16>], interfaces: [[UInt8]]?,
                      direction: TrafficDirection, depth: Int = 0) -> RuleJudgement {
        let match = RuleMatch(rule, in: table)
        if match.neverMatches(ports: ports, interfaces: interfaces, direction: direction) { return .passes }
        let conditional = match.isConditional(for: direction, interfaces: interfaces)
        let when = conditional ? " when its other conditions match" : ""
        let uncertainty = match.uncertainty(for: direction)
        switch match.effect {
        case .none:
            return match.unknownEffect.map { .cannotTell("an expression migfw does not know (\($0))") } ?? .passes
        case .divert(let what):
            return .cannotTell(what)
        case .jump(let name):
            guard depth < 8, let target = table.chain(named: name) else { return .cannotTell("a jump to chain \(name) migfw cannot follow") }
            if let uncertainty { return .cannotTell(uncertainty) }
            for inner in target.rules {
                switch judge(inner, in: table, ports: ports, interfaces: interfaces, direction: direction, depth: depth + 1) {
                case .passes: continue
                case .drops(let what): return .drops("jumps to chain \(name), whose rule `\(NftText.render(rule: inner))` \(what)\(when)")
                case .cannotTell(let why): return .cannotTell("through chain \(name): \(why)")
                }
            }
            return .passes
        case .drop:
            if let uncertainty { return .cannotTell(uncertainty) }
            return .drops(dropText(match.ports(direction.migrationPortField), ports: ports, direction: direction, conditional: conditional))
        }
    }

    /// What a dropping rule drops: the migration ports it names (`matched`: nil, it names none).
    private static func dropText(_ matched: [ClosedRange<UInt16>]?, ports: [ClosedRange<UInt16>],
                                 direction: TrafficDirection, conditional: Bool) -> String {
        guard let matched else {
            let what = direction.isReply ? "replies from the migration ports" : "migration traffic"
            return conditional ? "can drop \(what) when its other conditions match" : "drops every packet that reaches it"
        }
        let hit = RuleMatch.intersection(matched, ports)
        let text = hit.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
        let noun = hit.count == 1 && hit[0].count == 1 ? "port" : "ports"
        let field = direction.isReply ? "replies from TCP sport" : "TCP dport"
        let when = conditional ? " when its other conditions match" : ""
        return "drops \(field) \(text.joined(separator: ", ")) (migration \(noun))\(when)"
    }
}

/// One rule read as matches on loaded registers, enough to tell whether it can drop
/// migration traffic, and where it cannot be read.
struct RuleMatch {
    /// Which of a TCP header's two ports a rule loads.
    enum PortField: Hashable { case source, destination }
    enum Load: Equatable {
        case inputName, outputName, transportProtocol, family, ctState, other
        case port(PortField)
        /// A port under a mask (`tcp dport & 0xff00 == ...`).
        case maskedPort(PortField)
        /// `ct state` under a mask: the states it tests.
        case ctStateBits(UInt32)
    }
    /// What the rule does to a packet it matches.
    enum Effect: Equatable {
        case none, drop
        case jump(String)
        /// A verdict decided elsewhere or a diversion: a verdict map, a queue, NAT, tproxy.
        case divert(String)
    }

    var effect = Effect.none
    /// The ports it matches, by field, for each field it tests.
    var portTests: [PortField: [ClosedRange<UInt16>]] = [:]
    /// A port test migfw cannot read (a mask, a set of another type), by field.
    var unreadPorts: [PortField: String] = [:]
    /// Interface name tests: `iifname "eth0"` compares the name with its NUL (exact),
    /// `iifname "eth*"` only the prefix.
    var interfaceTests: [(input: Bool, op: CmpOp, name: [UInt8], exact: Bool)] = []
    /// It tests something else too (addresses, connection state...).
    var conditional = false
    /// It matches a transport protocol other than TCP.
    var notTCP = false
    /// The connection states it matches, when it tests them (`ct state new,invalid`).
    var states: UInt32?
    /// A part migfw cannot read, when there is one.
    var uncertainty: String?
    /// An expression migfw does not know to be a plain match: it may act on the packet.
    var unknownEffect: String?

    /// The ports a peer (or this host, connecting out) picks a connection's own port from:
    /// every stack's ephemeral range lies above the well-known ports.
    static let ephemeralPorts: [ClosedRange<UInt16>] = [1024...UInt16.max]

    /// Expressions that decide the packet's fate elsewhere, or send it elsewhere.
    static let diverting = ["lookup": "a verdict map", "queue": "a queue to userspace", "nat": "NAT (the packet is diverted)",
                            "redir": "a redirect (the packet is diverted)", "masq": "masquerading",
                            "tproxy": "tproxy (the packet is diverted)", "fwd": "fwd (the packet is sent elsewhere)",
                            "synproxy": "synproxy", "objref": "a named object (a synproxy, a quota, a limit?)"]
    /// Expressions that only match, count or copy: without a drop or a jump they cannot stop
    /// a packet. Any other expression migfw does not model makes the rule "cannot tell".
    static let pureMatches: Set = ["fib", "socket", "rt", "exthdr", "numgen", "hash", "osf", "xfrm", "quota", "connlimit",
                                   "tunnel", "meta", "payload", "cmp", "ct", "bitwise", "range", "counter", "limit", "log",
                                   "last", "dup", "notrack", "inner", "byteorder", "immediate", "dynset", "flow_offload"]

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
            case .payload(.transport, 0, 2, let dreg):
                loads[dreg] = .port(.source)
            case .payload(.transport, 2, 2, let dreg):
                loads[dreg] = .port(.destination)
            case .ct(let key, let dreg):
                loads[dreg] = key == .state ? .ctState : .other
            case .bitwise(let sreg, let dreg, _, let mask, _):
                switch loads[sreg] ?? .other {
                case .port(let field): loads[dreg] = .maskedPort(field)
                case .ctState where mask.count == 4:
                    loads[dreg] = .ctStateBits(mask.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
                default: loads[dreg] = .other
                }
            case .payload(_, _, _, let dreg):
                loads[dreg] = .other
            case .cmp(let op, let sreg, let data):
                compare(op, loads[sreg] ?? .other, data)
            case .range(let op, let sreg, let from, let to):
                if case .port(let field) = loads[sreg], from.count == 2, to.count == 2 {
                    let range = (UInt16(from[0]) << 8 | UInt16(from[1]))...(UInt16(to[0]) << 8 | UInt16(to[1]))
                    narrow(field, op == .eq ? [range] : Self.complement([range]))
                } else {
                    unread(loads[sreg], "a range match")
                }
            case .lookup(let name, let sreg, let inverted):
                lookup(table.sets.first { $0.name == name }, named: name, load: loads[sreg] ?? .other, inverted: inverted)
            case .verdict(.drop):
                effect = .drop
            case .verdict(.jump(let chain)), .verdict(.goto(let chain)):
                effect = .jump(chain)
            case .unknown(let name, _) where name == "reject":
                effect = .drop
            case .unknown(let name, _):
                if let what = Self.diverting[name] {
                    effect = .divert(what)
                } else {
                    uncertainty = "a match migfw does not read (\(name))"
                    if !Self.pureMatches.contains(name) { unknownEffect = name }
                }
            case .counter, .log, .verdict, .dynsetUpdate:
                break
            case .limit:
                conditional = true
            }
        }
    }

    private mutating func compare(_ op: CmpOp, _ load: Load, _ data: [UInt8]) {
        switch load {
        case .inputName, .outputName:
            interfaceTests.append((load == .inputName, op, Self.trimmed(data), data.contains(0)))
        case .port(let field) where data.count == 2:
            let port = UInt16(data[0]) << 8 | UInt16(data[1])
            switch op {
            case .eq: narrow(field, [port...port])
            case .neq: narrow(field, Self.complement([port...port]))
            case .lt: narrow(field, port == 0 ? [] : [0...(port - 1)])
            case .lte: narrow(field, [0...port])
            case .gt: narrow(field, port == .max ? [] : [(port + 1)...UInt16.max])
            case .gte: narrow(field, [port...UInt16.max])
            }
        case .maskedPort(let field):
            unreadPorts[field] = "a masked port match"
        case .transportProtocol where data.count == 1:
            // IPPROTO_TCP is 6.
            if (op == .eq && data[0] != 6) || (op == .neq && data[0] == 6) { notTCP = true }
        case .family:
            break
        case .ctStateBits(let bits) where op == .neq && data.allSatisfy { $0 == 0 }:
            states = states.map { $0 & bits } ?? bits
        default:
            conditional = true
        }
    }

    private mutating func lookup(_ set: NamedSet?, named name: String, load: Load, inverted: Bool) {
        switch (load, set?.elements) {
        case (.port(let field), .ports(let ranges)?): narrow(field, inverted ? Self.complement(ranges) : ranges)
        case (.port(let field), _), (.maskedPort(let field), _):
            unreadPorts[field] = "a set lookup on the port migfw cannot read (@\(name))"
        case (_, .unknown?), (_, nil): uncertainty = "a set lookup migfw cannot read (@\(name): a concatenation or a map?)"
        default: conditional = true
        }
    }

    private mutating func unread(_ load: Load?, _ what: String) {
        switch load {
        case .port(let field)?, .maskedPort(let field)?: unreadPorts[field] = "\(what) on the port migfw cannot read"
        default: conditional = true
        }
    }

    /// The ports of `field` it matches, when it tests them (nil: it does not).
    func ports(_ field: PortField) -> [ClosedRange<UInt16>]? { portTests[field] }

    /// What migfw cannot read about a packet of `direction`: an unreadable port test on the
    /// migration port makes the whole rule unreadable; one on the peer's port only a condition.
    func uncertainty(for direction: TrafficDirection) -> String? {
        uncertainty ?? unreadPorts[direction.migrationPortField]
    }

    /// Whether it tests more than the migration port and the migration NICs' names: the
    /// peer's port, an address, a state, or an interface where the NICs are not known
    /// (`interfaces` nil).
    func isConditional(for direction: TrafficDirection, interfaces: [[UInt8]]?) -> Bool {
        let peer = direction.peerPortField
        return conditional || states != nil || portTests[peer] != nil || unreadPorts[peer] != nil
            || (interfaces == nil && !interfaceTests.isEmpty)
    }

    /// Whether the rule certainly never matches a migration packet of `direction`: another
    /// protocol, other migration ports, a peer port no stack picks, other interfaces for every
    /// migration NIC, or only states such a packet never has.
    func neverMatches(ports migrationPorts: [ClosedRange<UInt16>], interfaces: [[UInt8]]?, direction: TrafficDirection) -> Bool {
        if notTCP { return true }
        if let states, states & ~direction.impossibleStates.rawValue == 0 { return true }
        if let ports = portTests[direction.migrationPortField], Self.intersection(ports, migrationPorts).isEmpty { return true }
        if let peer = portTests[direction.peerPortField], Self.intersection(peer, Self.ephemeralPorts).isEmpty { return true }
        guard direction.path != .forwarded, let interfaces else { return false }
        // Arriving: the packet's input name is the NIC's and its output name empty; leaving
        // the other way round.
        return interfaces.allSatisfy { nic in
            interfaceTests.contains { test in
                let name = test.input == (direction.path == .inbound) ? nic : []
                let matches = test.exact ? test.name == name : name.starts(with: test.name)
                return (test.op == .eq && !matches) || (test.op == .neq && matches)
            }
        }
    }

    private mutating func narrow(_ field: PortField, _ ranges: [ClosedRange<UInt16>]) {
        portTests[field] = portTests[field].map { Self.intersection($0, ranges) } ?? ranges
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
