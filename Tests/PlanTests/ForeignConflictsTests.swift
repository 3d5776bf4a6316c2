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

    @Test func outputChainsMatterOnlyWhenMigfwFiltersEgress() {
        let other = Self.foreign(hook: .output, policy: .drop, [])
        #expect(ForeignConflicts.find(migfw: Self.migfw(egress: false), others: [other]).isEmpty)
        let found = ForeignConflicts.find(migfw: Self.migfw(egress: true), others: [other])
        #expect(found.map(\.reason) == ["policy drop: whatever its rules do not accept is dropped"])
        #expect(found.first?.table == "other" && found.first?.chain == "c" && found.first?.hook == .output)
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
