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
}
