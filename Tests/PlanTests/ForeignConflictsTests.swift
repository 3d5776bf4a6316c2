import Prefix
import Ruleset
import Testing
@testable import Plan

/// The conflict analysis on model tables (the kernel tests read real ones).
@Suite struct ForeignConflictsTests {
    static func name(_ text: String, exact: Bool = true) -> [UInt8] {
        exact ? Array(text.utf8) + Array(repeating: 0, count: 16 - text.utf8.count) : Array(text.utf8)
    }
    static let dport: Expression = .payload(.transport, offset: 2, length: 2, dreg: .reg1)
    static func port(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }

    static func migfw(egress: Bool) -> Table {
        var chains = [Chain(name: "input", base: BaseChain(hook: .input),
                            rules: [Rule([.meta(.iifname, dreg: .reg1), .cmp(.neq, sreg: .reg1, data: name("mig0")), .verdict(.return)])])]
        if egress {
            chains.append(Chain(name: "output", base: BaseChain(hook: .output),
                                rules: [Rule([.meta(.oifname, dreg: .reg1), .cmp(.neq, sreg: .reg1, data: name("mig0")), .verdict(.return)])]))
        }
        return Table(sets: [NamedSet(name: "tcp_ports", elements: .ports([16509...16509, 49152...49215]))], chains: chains)
    }

    static func foreign(hook: BaseChain.Hook, policy: Verdict = .accept, _ rules: [Rule], sets: [NamedSet] = []) -> Table {
        var table = Table(family: .ip, name: "other")
        table.sets = sets
        table.chains = [Chain(name: "c", base: BaseChain(hook: hook, policy: policy), rules: rules)]
        return table
    }

    /// The review found output chains ignored without `egress` (#20): the replies to accepted
    /// migration connections leave through them.
    @Test func outputChainsCarryTheRepliesWithOrWithoutEgress() {
        let other = Self.foreign(hook: .output, policy: .drop, [])
        let replies = ForeignConflicts.find(migfw: Self.migfw(egress: false), others: [other])
        #expect(replies.map(\.reason) == ["policy drop: whatever its rules do not accept is dropped, replies from the migration ports too"])
        let found = ForeignConflicts.find(migfw: Self.migfw(egress: true), others: [other])
        #expect(found.map(\.reason) == ["policy drop: whatever its rules do not accept is dropped"])
        #expect(found.first?.table == "other" && found.first?.chain == "c" && found.first?.hook == .output)
    }

    /// A reply is judged by its source port (the migration port); its destination port is the
    /// peer's ephemeral one.
    @Test func repliesAreJudgedBySourcePort() {
        let sport: Expression = .payload(.transport, offset: 0, length: 2, dreg: .reg1)
        func drop(_ port: Expression, _ value: UInt16) -> [ForeignConflict] {
            let rule = Rule([port, .cmp(.eq, sreg: .reg1, data: Self.port(value)), .verdict(.drop)])
            return ForeignConflicts.find(migfw: Self.migfw(egress: false), others: [Self.foreign(hook: .output, [rule])])
        }
        #expect(drop(sport, 49152).map { $0.reason.hasSuffix("` drops replies from TCP sport 49152 (migration port)") } == [true])
        #expect(drop(sport, 8080).isEmpty, "another source port")
        // A peer port that can be ephemeral: it drops the replies to that peer port.
        #expect(drop(Self.dport, 40000).map { $0.reason.hasSuffix("` can drop replies from the migration ports when its other conditions match") }
            == [true])
        #expect(drop(Self.dport, 443).isEmpty, "no stack picks a well-known port as its own")
        // An inbound drop on the source port alone: the peer's port, so a condition.
        let inbound = Rule([sport, .cmp(.eq, sreg: .reg1, data: Self.port(40000)), Self.dport,
                            .cmp(.eq, sreg: .reg1, data: Self.port(49152)), .verdict(.drop)])
        let found = ForeignConflicts.find(migfw: Self.migfw(egress: false), others: [Self.foreign(hook: .input, [inbound])])
        #expect(found.first?.reason.hasSuffix("drops TCP dport 49152 (migration port) when its other conditions match") == true, "\(found)")
        // A masked source port on a reply cannot be read; `ct state new` never meets a reply.
        let masked = Rule([sport, .bitwise(sreg: .reg1, dreg: .reg1, length: 2, mask: [0xff, 0], xor: [0, 0]),
                           .cmp(.eq, sreg: .reg1, data: [0xc0, 0]), .verdict(.drop)])
        let new = Rule([.ct(.state, dreg: .reg1), .bitwise(sreg: .reg1, dreg: .reg1, length: 4, mask: [8, 0, 0, 0], xor: [0, 0, 0, 0]),
                        .cmp(.neq, sreg: .reg1, data: [0, 0, 0, 0]), .verdict(.drop)])
        let judged = ForeignConflicts.find(migfw: Self.migfw(egress: false), others: [Self.foreign(hook: .postrouting, [masked, new])])
        #expect(judged.map(\.certain) == [false], "\(judged)")
    }

    /// The migration NIC can be a bridge: bridge-family chains see its frames first (#20).
    @Test func hostModeJudgesTheBridgeFamily() {
        var bridge = Self.foreign(hook: .input, [Rule([Self.dport, .cmp(.eq, sreg: .reg1, data: Self.port(49152)), .verdict(.drop)])])
        bridge.family = .bridge
        #expect(ForeignConflicts.find(migfw: Self.migfw(egress: false), others: [bridge]).map(\.certain) == [true])
        // A bridge chain's input name is a port's, not the NIC's: a name test is a condition.
        let port = Rule([.meta(.iifname, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: Self.name("veth9")), .verdict(.drop)])
        bridge.chains[0].rules = [port]
        let found = ForeignConflicts.find(migfw: Self.migfw(egress: false), others: [bridge])
        #expect(found.map { $0.reason.hasSuffix("can drop migration traffic when its other conditions match") } == [true], "\(found)")
        bridge.chains[0].base?.hook = .forward
        #expect(ForeignConflicts.find(migfw: Self.migfw(egress: false), others: [bridge]).isEmpty, "the host's own frames are not forwarded")
        // No migration NIC is a bridge (status asks the kernel): no bridge chain meets its
        // frames, and a libvirt host's nwfilter tables are not reported.
        bridge.chains[0].base?.hook = .input
        bridge.chains[0].rules = [Rule([Self.dport, .cmp(.eq, sreg: .reg1, data: Self.port(49152)), .verdict(.drop)])]
        #expect(ForeignConflicts.find(migfw: Self.migfw(egress: false), others: [bridge], hostBridges: false).isEmpty)
        #expect(ForeignConflicts.find(migfw: Self.migfw(egress: false), others: [bridge], hostBridges: true).count == 1)
    }

    /// netdev egress (hook 1, modelled as input) carries the replies in host mode and the
    /// forwarded packets of a gateway (#20).
    @Test func netdevEgressIsJudged() {
        var egress = Self.foreign(hook: .input, policy: .drop, [])
        egress.family = .netdev
        let found = ForeignConflicts.find(migfw: Self.migfw(egress: false), others: [egress])
        #expect(found.first?.reason.hasSuffix("[netdev egress]") == true, "\(found)")
        var gateway = Self.migfw(egress: false)
        gateway.chains = [Chain(name: "forward", base: BaseChain(hook: .forward))]
        #expect(ForeignConflicts.find(migfw: gateway, others: [egress]).count == 1)
    }

    /// With br_netfilter, the IP families' hooks see a bridged gateway's frames (#20).
    @Test func bridgedGatewayJudgesIPFamiliesWhenBrNetfilterIsOn() {
        var bridged = Self.migfw(egress: false)
        bridged.family = .bridge
        bridged.chains = [Chain(name: "forward", base: BaseChain(hook: .forward))]
        let forward = Self.foreign(hook: .forward, policy: .drop, [])  // table ip other
        #expect(ForeignConflicts.find(migfw: bridged, others: [forward]).count == 1, "unknown: assumed on")
        let off = BridgeNetfilter(ipv4: false, ipv6: true)
        #expect(ForeignConflicts.find(migfw: bridged, others: [forward], bridgeNetfilter: off).isEmpty)
        var inet = forward
        inet.family = .inet
        #expect(ForeignConflicts.find(migfw: bridged, others: [inet], bridgeNetfilter: off).count == 1)
        #expect(ForeignConflicts.find(migfw: bridged, others: [inet], bridgeNetfilter: BridgeNetfilter(ipv4: false, ipv6: false)).isEmpty)
    }

    @Test func interfaceNamesExactAndWildcard() {
        func rule(_ data: [UInt8]) -> Rule {
            Rule([.meta(.iifname, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: data), Self.dport,
                  .cmp(.eq, sreg: .reg1, data: Self.port(49152)), .verdict(.drop)])
        }
        let migfw = Self.migfw(egress: false)
        #expect(ForeignConflicts.find(migfw: migfw, others: [Self.foreign(hook: .input, [rule(Self.name("mig0"))])]).count == 1)
        #expect(ForeignConflicts.find(migfw: migfw, others: [Self.foreign(hook: .input, [rule(Self.name("mig", exact: false))])]).count == 1)
        #expect(ForeignConflicts.find(migfw: migfw, others: [Self.foreign(hook: .input, [rule(Self.name("eth", exact: false))])]).isEmpty)
        #expect(ForeignConflicts.find(migfw: migfw, others: [Self.foreign(hook: .input, [rule(Self.name("mig00"))])]).isEmpty)
    }

    @Test func namedPortSetsAndInvertedLookups() {
        let set = NamedSet(name: "blocked", elements: .ports([16000...16600]))
        let lookup = Rule([Self.dport, .lookup(set: "blocked", sreg: .reg1, inverted: false), .counter, .verdict(.drop)])
        let found = ForeignConflicts.find(migfw: Self.migfw(egress: false), others: [Self.foreign(hook: .input, [lookup], sets: [set])])
        #expect(found.count == 1)
        #expect(found.first?.reason.hasSuffix("drops TCP dport 16509 (migration port)") == true, "\(found)")
        // `tcp dport != @blocked drop` drops 49152-49215.
        let inverted = Rule([Self.dport, .lookup(set: "blocked", sreg: .reg1, inverted: true), .verdict(.drop)])
        let other = ForeignConflicts.find(migfw: Self.migfw(egress: false), others: [Self.foreign(hook: .input, [inverted], sets: [set])])
        #expect(other.first?.reason.contains("drops TCP dport 49152-49215 (migration ports)") == true, "\(other)")
    }

    @Test func udpAndAcceptAreNotConflicts() {
        let udp = Rule([.meta(.l4proto, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: [17]), Self.dport,
                        .cmp(.eq, sreg: .reg1, data: Self.port(49152)), .verdict(.drop)])
        let accept = Rule([Self.dport, .cmp(.eq, sreg: .reg1, data: Self.port(49152)), .verdict(.accept)])
        #expect(ForeignConflicts.find(migfw: Self.migfw(egress: false), others: [Self.foreign(hook: .input, [udp, accept])]).isEmpty)
        // The same table name in another family than migfw's own is another table.
        var same = Self.foreign(hook: .input, policy: .drop, [])
        same.name = Table.migfwName
        #expect(ForeignConflicts.find(migfw: Self.migfw(egress: false), others: [same]).count == 1)
    }
}
