import Ruleset
import Testing
@testable import Plan

/// `status`'s paths line claims only what the kernel's table does.
@Suite struct GuardedPathsTests {
    static let dport: Expression = .payload(.transport, offset: 2, length: 2, dreg: .reg1)
    static func lookup(_ set: String) -> [Expression] {
        [.meta(.l4proto, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: [6]), dport, .lookup(set: set, sreg: .reg1, inverted: false)]
    }

    /// A table from before other NICs were closed, not dedicated: its base chain drops
    /// `@tcp_ports`, but only for the migration NIC (the review found this read as "closed").
    @Test func anOldNonDedicatedTableLeavesOtherNICsOpen() {
        let scope = Rule([.meta(.iifname, dreg: .reg1), .cmp(.neq, sreg: .reg1, data: Array("mig0".utf8) + Array(repeating: 0, count: 12)),
                          .verdict(.return)])
        let table = Table(sets: [NamedSet(name: "tcp_ports", elements: .ports([49152...49215]))],
                          chains: [Chain(name: "input", base: BaseChain(hook: .input),
                                         rules: [scope, Rule(Self.lookup("tcp_ports") + [.counter, .verdict(.drop)])])])
        let paths = GuardedPaths(table)
        #expect(paths.migrationInterfaces == ["mig0"])
        #expect(paths.closedElsewhere.isEmpty)
        #expect(paths.unguarded == ["other_interfaces"])
        #expect(paths.lines.first?.contains("every other NIC passes them unfiltered") == true, "\(paths.lines)")
    }

    @Test func theNewShapeClosesTheMigrationOnlySet() {
        let dispatch = Rule([.meta(.iifname, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: Array("mig0".utf8) + Array(repeating: 0, count: 12)),
                             .verdict(.goto("migration_in"))])
        let table = Table(sets: [NamedSet(name: "tcp_ports", elements: .ports([16514...16514, 49152...49215])),
                                 NamedSet(name: "tcp_migration_only", elements: .ports([49152...49215]))],
                          chains: [Chain(name: "migration_in"),
                                   Chain(name: "input", base: BaseChain(hook: .input),
                                         rules: [dispatch, Rule(Self.lookup("tcp_migration_only") + [.counter, .verdict(.drop)])])])
        let paths = GuardedPaths(table)
        #expect(paths.closedElsewhere == [49152...49215])
        #expect(paths.filteredOnMigrationNICs == [16514...16514])
        #expect(paths.unguarded.isEmpty)
    }

    static func name(_ text: String) -> [UInt8] { Array(text.utf8) + Array(repeating: 0, count: 16 - text.utf8.count) }
    static let dispatch = Rule([.meta(.iifname, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: name("mig0")),
                                .verdict(.goto("migration_in"))])
    static let loopback = Rule([.meta(.iifname, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: name("lo")), .verdict(.return)])
    static let established = Rule([.ct(.state, dreg: .reg1),
                                   .bitwise(sreg: .reg1, dreg: .reg1, length: 4, mask: [6, 0, 0, 0], xor: [0, 0, 0, 0]),
                                   .cmp(.neq, sreg: .reg1, data: [0, 0, 0, 0]), .verdict(.return)])

    static func hostTable(_ rules: [Rule], udp: Bool = false) -> Table {
        let set = udp ? "udp_migration_only" : "tcp_migration_only"
        return Table(sets: [NamedSet(name: "tcp_ports", elements: .ports([49152...49215])),
                            NamedSet(name: set, elements: .ports(udp ? [4791...4791] : [49152...49215]))],
                     chains: [Chain(name: "migration_in"),
                              Chain(name: "input", base: BaseChain(hook: .input),
                                    rules: rules + [Rule(lookup(set) + [.counter, .verdict(.drop)])])])
    }

    /// The rules migfw writes before the closing drop let it claim other NICs are closed; a
    /// rule someone inserted there that ends the chain for another NIC does not (the review:
    /// `iifname "mgmt0" return` opened mgmt0 while status said "drops").
    @Test func aRuleThatLetsPacketsPastTheDropIsCannotTell() {
        let clean = GuardedPaths(Self.hostTable([Self.dispatch, Self.loopback, Self.established]))
        #expect(clean.doubt == nil)
        #expect(clean.lines.first?.contains("drops new connections to TCP 49152-49215") == true, "\(clean.lines)")
        let rogue = Rule([.meta(.iifname, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: Self.name("mgmt0")), .verdict(.return)])
        for tampered in [[Self.dispatch, Self.loopback, rogue, Self.established],
                         [Self.dispatch, Rule([.verdict(.accept)]), Self.loopback],
                         [Self.dispatch, Rule([.meta(.iifname, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: Self.name("mgmt0")),
                                               .verdict(.jump("elsewhere"))])]] {
            let paths = GuardedPaths(Self.hostTable(tampered))
            #expect(paths.doubt != nil)
            #expect(paths.lines.count == 1)
            #expect(paths.lines.first?.hasPrefix("paths: cannot tell whether the NICs that are not migration NICs are closed") == true,
                    "\(paths.lines)")
        }
        // Rules migfw cannot read, a state other than established/related, a goto to
        // another chain: each can end the chain before the drop.
        let unknown = Rule([.meta(.l4proto, dreg: .reg1), .unknown(name: "lookup", detail: "vmap"), .counter])
        let newState = Rule([.ct(.state, dreg: .reg1),
                             .bitwise(sreg: .reg1, dreg: .reg1, length: 4, mask: [8, 0, 0, 0], xor: [0, 0, 0, 0]),
                             .cmp(.neq, sreg: .reg1, data: [0, 0, 0, 0]), .verdict(.return)])
        let elsewhere = Rule([.meta(.iifname, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: Self.name("mgmt0")),
                              .verdict(.goto("accept_all"))])
        for rogue in [unknown, newState, elsewhere] {
            #expect(GuardedPaths(Self.hostTable([Self.dispatch, rogue, Self.loopback])).doubt != nil, "\(rogue)")
        }
        // A rogue between the TCP drop and the UDP drop still opens the UDP ports.
        var both = Self.hostTable([Self.dispatch, Self.loopback])
        both.sets.append(NamedSet(name: "udp_migration_only", elements: .ports([4791...4791])))
        both.chains[1].rules += [rogue, Rule(Self.lookup("udp_migration_only") + [.counter, .verdict(.drop)])]
        #expect(GuardedPaths(both).doubt != nil)
        // A rule after the drop cannot open what it dropped.
        var after = Self.hostTable([Self.dispatch, Self.loopback])
        after.chains[1].rules.append(rogue)
        #expect(GuardedPaths(after).doubt == nil)
    }

    /// A custom profile's UDP migration-only ports are closed on other NICs too: status says so
    /// and the metric does not call other NICs unguarded (the review: it read TCP only).
    @Test func udpMigrationOnlyPortsCount() {
        let paths = GuardedPaths(Self.hostTable([Self.dispatch, Self.loopback], udp: true))
        #expect(paths.closedElsewhereUDP == [4791...4791])
        #expect(paths.closedElsewhere.isEmpty)
        #expect(paths.unguarded.isEmpty)
        #expect(paths.lines.first?.contains("drops new connections to UDP 4791") == true, "\(paths.lines)")
    }
}
