import Prefix
import Ruleset
import Testing
@testable import Plan

/// What the outside test found `status` missing (#20): each rule below really drops (or may
/// drop) a trusted migration connection; `status` must say so, or say it cannot tell,
/// never "none can drop".
@Suite struct ForeignRuleJudgementTests {
    typealias F = ForeignConflictsTests
    static let migfw = F.migfw(egress: false)

    static func conflicts(_ rules: [Rule], hook: BaseChain.Hook = .input, type: BaseChain.ChainType = .filter,
                          family: TableFamily = .ip, sets: [NamedSet] = [], regular: [Chain] = [],
                          migfw: Table = migfw) -> [ForeignConflict] {
        var table = Table(family: family, name: "other")
        table.sets = sets
        table.chains = [Chain(name: "c", base: BaseChain(type: type, hook: hook), rules: rules)] + regular
        return ForeignConflicts.find(migfw: migfw, others: [table], handles: [ForeignConflicts.handleKey(table, "c"): [7, 8, 9]])
    }

    @Test func aVerdictMapOnThePortCannotBeTold() {
        // `tcp dport vmap { 49152 : drop }`: a lookup with a destination register.
        let vmap = Rule([F.dport, .unknown(name: "lookup", detail: "reg 1 set __map0 dreg 0")])
        let found = Self.conflicts([vmap])
        #expect(found.count == 1)
        #expect(found.first?.certain == false)
        #expect(found.first?.reason.hasPrefix("cannot tell: table ip other chain c handle 7:") == true, "\(found)")
        #expect(found.first?.reason.contains("a verdict map") == true)
    }

    @Test func aConcatenatedSetWithThePortCannotBeTold() {
        // `ip saddr . tcp dport @s drop`: the port is loaded into the concatenation's second register.
        let set = NamedSet(name: "s", elements: .unknown(keyType: 0, keyLength: 8, elements: []))
        let rule = Rule([.payload(.network, offset: 12, length: 4, dreg: .reg1), .payload(.transport, offset: 2, length: 2, dreg: .reg2),
                         .lookup(set: "s", sreg: .reg1, inverted: false), .verdict(.drop)])
        let found = Self.conflicts([rule], sets: [set])
        #expect(found.map(\.certain) == [false], "\(found)")
        #expect(found.first?.reason.contains("@s") == true)
    }

    @Test func aMaskedPortCannotBeTold() {
        let rule = Rule([F.dport, .bitwise(sreg: .reg1, dreg: .reg1, length: 2, mask: [0xff, 0x00], xor: [0, 0]),
                         .cmp(.eq, sreg: .reg1, data: [0xc0, 0x00]), .verdict(.drop)])
        #expect(Self.conflicts([rule]).map(\.certain) == [false])
    }

    @Test func natAndIngressChainsCount() {
        let drop = Rule([F.dport, .cmp(.eq, sreg: .reg1, data: F.port(49152)), .verdict(.drop)])
        // A `type nat` prerouting chain drops like any other.
        #expect(Self.conflicts([drop], hook: .prerouting, type: .nat).map(\.certain) == [true])
        // A DNAT of the migration port diverts it: cannot tell where it goes.
        let dnat = Rule([F.dport, .cmp(.eq, sreg: .reg1, data: F.port(49152)), .unknown(name: "nat", detail: "dnat")])
        #expect(Self.conflicts([dnat], hook: .prerouting, type: .nat).map(\.certain) == [false])
        // netdev ingress (hook 0, modelled as prerouting).
        #expect(Self.conflicts([drop], hook: .prerouting, family: .netdev).count == 1)
        // An inet ingress chain: a hook the model has no name for.
        var table = Table(family: .inet, name: "ing")
        table.chains = [Chain(name: "in", rules: [Rule([.unknown(name: "chain", detail: "hook 5 type filter policy 0")])])]
        let found = ForeignConflicts.find(migfw: Self.migfw, others: [table])
        #expect(found.map(\.certain) == [false] && found.first?.reason.contains("hook 5") == true, "\(found)")
    }

    /// The review found `redirect` and `masquerade` judged harmless: they divert.
    @Test func aRedirectAndUnknownActionsCannotBeTold() {
        let port: [Expression] = [F.dport, .cmp(.eq, sreg: .reg1, data: F.port(49152))]
        for name in ["redir", "masq", "objref", "something-new"] {
            let found = Self.conflicts([Rule(port + [.unknown(name: name, detail: "[ \(name) ]")])], hook: .prerouting, type: .nat)
            #expect(found.map(\.certain) == [false], "\(name): \(found)")
        }
        // A plain match migfw does not model, with no drop: it stops nothing.
        #expect(Self.conflicts([Rule(port + [.unknown(name: "fib", detail: "[ fib ]"), .counter])]).isEmpty)
    }

    @Test func aDropBehindAJumpIsFound() {
        let jump = Rule([F.dport, .cmp(.eq, sreg: .reg1, data: F.port(49152)), .verdict(.jump("blocked"))])
        let blocked = Chain(name: "blocked", rules: [Rule([.counter, .verdict(.drop)])])
        let found = Self.conflicts([jump], regular: [blocked])
        #expect(found.map(\.certain) == [true])
        #expect(found.first?.reason.contains("jumps to chain blocked") == true, "\(found)")
        let harmless = Chain(name: "blocked", rules: [Rule([.verdict(.accept)])])
        #expect(Self.conflicts([jump], regular: [harmless]).isEmpty)
        #expect(Self.conflicts([jump]).map(\.certain) == [false], "a jump to a chain that is not there")
    }

    @Test func anAddressConditionIsReportedNotIgnored() {
        // `ip saddr 10.0.0.0/8 drop`: it can drop a trusted peer's migration.
        let rule = Rule([.payload(.network, offset: 12, length: 4, dreg: .reg1),
                         .bitwise(sreg: .reg1, dreg: .reg1, length: 4, mask: [255, 0, 0, 0], xor: [0, 0, 0, 0]),
                         .cmp(.eq, sreg: .reg1, data: [10, 0, 0, 0]), .verdict(.drop)])
        let found = Self.conflicts([rule])
        #expect(found.map(\.certain) == [true])
        #expect(found.first?.reason.hasSuffix("can drop migration traffic when its other conditions match") == true, "\(found)")
    }

    @Test func whatCertainlyMissesMigrationStaysQuiet() {
        // `ct state invalid drop`: migfw never accepts an invalid packet.
        let invalid = Rule([.ct(.state, dreg: .reg1), .bitwise(sreg: .reg1, dreg: .reg1, length: 4, mask: [1, 0, 0, 0], xor: [0, 0, 0, 0]),
                            .cmp(.neq, sreg: .reg1, data: [0, 0, 0, 0]), .verdict(.drop)])
        // `ct state new drop` could drop a new migration connection.
        let new = Rule([.ct(.state, dreg: .reg1), .bitwise(sreg: .reg1, dreg: .reg1, length: 4, mask: [8, 0, 0, 0], xor: [0, 0, 0, 0]),
                        .cmp(.neq, sreg: .reg1, data: [0, 0, 0, 0]), .verdict(.drop)])
        // A verdict map on another interface: unreadable, but never met by migration traffic.
        let elsewhere = Rule([.meta(.iifname, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: F.name("eth9")),
                              F.dport, .unknown(name: "lookup", detail: "vmap")])
        #expect(Self.conflicts([invalid, elsewhere]).isEmpty)
        #expect(Self.conflicts([new]).count == 1)
    }

    @Test func gatewayModeCrossesForwardAndTheBridgeFamily() {
        let drop = Rule([F.dport, .cmp(.eq, sreg: .reg1, data: F.port(49152)), .verdict(.drop)])
        var routed = Table(family: .inet, name: "migfw")
        routed.sets = [NamedSet(name: "tcp_ports", elements: .ports([49152...49215]))]
        routed.chains = [Chain(name: "forward", base: BaseChain(hook: .forward), rules: [])]
        #expect(Self.conflicts([drop], hook: .forward, migfw: routed).count == 1)
        #expect(Self.conflicts([drop], hook: .prerouting, type: .nat, migfw: routed).count == 1)
        #expect(Self.conflicts([drop], hook: .input, migfw: routed).isEmpty, "input is not on a forwarded packet's way")
        var bridged = routed
        bridged.family = .bridge
        #expect(Self.conflicts([], hook: .forward, family: .bridge, migfw: bridged).isEmpty)
        var policyDrop = Table(family: .bridge, name: "filter")
        policyDrop.chains = [Chain(name: "f", base: BaseChain(hook: .forward, priority: -200, policy: .drop))]
        #expect(ForeignConflicts.find(migfw: bridged, others: [policyDrop]).map(\.reason)
            == ["policy drop: whatever its rules do not accept is dropped"])
        #expect(ForeignConflicts.find(migfw: routed, others: [policyDrop]).isEmpty, "a bridge's forward hook never sees routed traffic")
        // A routed gateway's interface can be a bridge: its frames go up through bridge prerouting.
        policyDrop.chains[0].base?.hook = .prerouting
        #expect(ForeignConflicts.find(migfw: routed, others: [policyDrop]).count == 1)
    }
}
