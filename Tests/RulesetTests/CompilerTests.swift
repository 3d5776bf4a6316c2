import Policy
import Prefix
@testable import Ruleset
import Testing

@Suite struct CompilerTests {
    @Test func libvirtDedicatedInputChainIsTheDesignedRuleset() {
        let table = RulesetCompiler.compile(Fixtures.policy(profile: "libvirt"))
        #expect(table.family == .inet && table.name == "migfw")
        #expect(table.chains.map(\.name) == ["migration_in", "input"])
        #expect(table.chain(named: "input")?.base == BaseChain(type: .filter, hook: .input, priority: 0, policy: .accept))
        #expect(table.chain(named: "migration_in")?.base == nil)
        #expect(Fixtures.lines(table, "input") == [
            "iifname \"mig0\" goto migration_in",
            "iifname \"lo\" return",
            "ct state established,related return",
            "tcp dport @tcp_migration_only update @refused4 { ip saddr }",
            "tcp dport @tcp_migration_only update @refused6 { ip6 saddr }",
            "tcp dport @tcp_migration_only counter drop",
        ])
        #expect(Fixtures.lines(table, "migration_in") == [
            "ct state established,related accept",
            "ct state invalid counter drop",
            "icmp type destination-unreachable accept",
            "icmp type 11-12 accept",
            "icmpv6 type 1-4 accept",
            "icmpv6 type 130-132 accept",
            "icmpv6 type 133-136 accept",
            "icmpv6 type 143 accept",
            "ip saddr @trusted4 tcp dport @tcp_ports counter accept",
            "ip6 saddr @trusted6 tcp dport @tcp_ports counter accept",
            "update @refused4 { ip saddr }",
            "update @refused6 { ip6 saddr }",
            "counter drop",
        ])
    }

    @Test func setsAreNamedAndHoldTheTrustedSetMinusExclusions() {
        let table = RulesetCompiler.compile(Fixtures.policy(profile: "libvirt"))
        #expect(table.sets.map(\.name) == ["trusted4", "trusted6", "tcp_ports", "tcp_migration_only", "refused4", "refused6"])
        #expect(table.sets.prefix(3).allSatisfy { $0.flags == [.interval] })
        let v4 = table.set(named: "trusted4")!
        #expect(v4.keyType == .ipv4Address)
        // 192.168.10.0/24 without .1, plus the two adjacent hosts merged.
        #expect(NftText.render(set: v4).contains("192.168.10.0,\n"))
        guard case .ipv4(let ranges) = v4.elements else { Issue.record("not ipv4"); return }
        #expect(ranges.map(\.description) == ["192.168.10.0", "192.168.10.2-192.168.10.255", "192.168.20.11-192.168.20.12"])
        guard case .ipv6(let ranges6) = table.set(named: "trusted6")!.elements else { Issue.record("not ipv6"); return }
        #expect(ranges6.map(\.description) == ["2001:db8:10::-2001:db8:10:0:ffff:ffff:ffff:ffff"])
        #expect(table.set(named: "tcp_ports")?.elements == .ports([16509...16509, 16514...16514, 49152...49215]))
    }

    @Test(arguments: Fixtures.profiles.filter { $0.name != "custom" })
    func everyProfileAcceptsItsPortsOnlyFromTrustedSets(profile: Profile) {
        let table = RulesetCompiler.compile(Fixtures.policy(profile: profile.name))
        let expected = RulesetCompiler.mergedRanges(profile.ports.map { $0.range.lower...$0.range.upper })
        #expect(table.set(named: "tcp_ports")?.elements == .ports(expected))
        #expect(table.set(named: "udp_ports") == nil)
        let input = Fixtures.lines(table, "migration_in")
        #expect(input.filter { $0.hasSuffix("accept") && $0.contains("dport") } == [
            "ip saddr @trusted4 tcp dport @tcp_ports counter accept",
            "ip6 saddr @trusted6 tcp dport @tcp_ports counter accept",
        ])
    }

    @Test func customProfileGetsUDPSetAndRules() {
        let ports = [Fixtures.port(.udp, 4789), Fixtures.port(.tcp, 7000, 7010), Fixtures.port(.udp, 4790, 4800)]
        let table = RulesetCompiler.compile(Fixtures.policy(profile: "custom", ports: ports, dedicated: false))
        #expect(table.set(named: "udp_ports")?.elements == .ports([4789...4800]))
        #expect(table.set(named: "tcp_ports")?.elements == .ports([7000...7010]))
        let input = Fixtures.lines(table, "migration_in")
        #expect(input.contains("ip saddr @trusted4 udp dport @udp_ports counter accept"))
        #expect(input.contains("ip6 saddr @trusted6 udp dport @udp_ports counter accept"))
        #expect(Array(input.suffix(6)) == [
            "tcp dport @tcp_ports update @refused4 { ip saddr }", "tcp dport @tcp_ports update @refused6 { ip6 saddr }",
            "tcp dport @tcp_ports counter drop",
            "udp dport @udp_ports update @refused4 { ip saddr }", "udp dport @udp_ports update @refused6 { ip6 saddr }",
            "udp dport @udp_ports counter drop",
        ])
    }

    @Test func refusedSetsAreBoundedDynamicSetsWithElementCounters() {
        let table = RulesetCompiler.compile(Fixtures.policy(profile: "libvirt"))
        for (name, type) in [("refused4", SetKeyType.ipv4Address), ("refused6", .ipv6Address)] {
            let set = table.set(named: name)!
            #expect(set.keyType == type && set.isDynamic && set.flags == [.eval, .timeout])
            #expect(set.size == NamedSet.refusedSize && set.timeoutMilliseconds == 3_600_000 && set.elementCounter)
            #expect(set.elements.count == 0)
            #expect(NftText.render(set: set) == "\tset \(name) {\n\t\ttype \(type.rawValue)\n\t\tsize 4096\n"
                    + "\t\tflags dynamic,timeout\n\t\tcounter\n\t\ttimeout 1h\n\t}\n")
        }
        // The recorders lower as nft 1.0.6 does (`nft --debug=netlink`): the version
        // dependency, the source load, a dynset update with no timeout or expression of its own.
        let rule = table.chain(named: "migration_in")!.rules.first { $0.expressions.contains(.dynsetUpdate(set: "refused4", sreg: .reg1)) }
        #expect(rule?.expressions == [
            .meta(.nfproto, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: [2]),
            .payload(.network, offset: 12, length: 4, dreg: .reg1), .dynsetUpdate(set: "refused4", sreg: .reg1),
        ])
        #expect(ValueText.duration(milliseconds: 5_400_000) == "1h30m" && ValueText.duration(milliseconds: 90_500) == "1m30s500ms")
    }

    @Test func udpOnlyPolicyHasNoTCPSet() {
        let table = RulesetCompiler.compile(Fixtures.policy(profile: "custom", ports: [Fixtures.port(.udp, 4789)]))
        #expect(table.sets.map(\.name) == ["trusted4", "trusted6", "udp_ports", "udp_migration_only", "refused4", "refused6"])
        #expect(!Fixtures.lines(table, "migration_in").contains { $0.contains("tcp") })
    }

    @Test func nonDedicatedDropsOnlyMigrationPorts() {
        let table = RulesetCompiler.compile(Fixtures.policy(profile: "hyperv", dedicated: false))
        let input = Fixtures.lines(table, "migration_in")
        #expect(input.last == "tcp dport @tcp_ports counter drop")
        #expect(!input.contains("counter drop"))
    }

    @Test func dedicatedDropsEverythingElseOnTheNIC() {
        let input = Fixtures.lines(RulesetCompiler.compile(Fixtures.policy(profile: "hyperv")), "migration_in")
        #expect(input.last == "counter drop")
        #expect(!input.contains("tcp dport @tcp_ports counter drop"))
    }

    @Test func logDropsAddsARateLimitedLogBeforeEachDrop() {
        let rate = RateLimit(count: 3, unit: .minute)
        let dedicated = Fixtures.lines(RulesetCompiler.compile(Fixtures.policy(logDrops: true, rate: rate)), "migration_in")
        #expect(Array(dedicated.suffix(2)) == ["limit rate 3/minute log prefix \"migfw drop: \"", "counter drop"])
        let shared = Fixtures.lines(
            RulesetCompiler.compile(Fixtures.policy(dedicated: false, logDrops: true, rate: rate)), "migration_in")
        #expect(Array(shared.suffix(2)) == [
            "tcp dport @tcp_ports limit rate 3/minute log prefix \"migfw drop: \"", "tcp dport @tcp_ports counter drop",
        ])
        let quiet = Fixtures.lines(RulesetCompiler.compile(Fixtures.policy(logDrops: false)), "migration_in")
        #expect(!quiet.contains { $0.contains("log") })
    }

    @Test func egressAddsAnOutputChainToTrustedPeersOnly() {
        let table = RulesetCompiler.compile(Fixtures.policy(profile: "xen", egress: true, logDrops: true))
        #expect(table.chains.map(\.name) == ["migration_in", "migration_out", "input", "output"])
        #expect(table.chain(named: "output")?.base?.hook == .output)
        #expect(Fixtures.lines(table, "output") == [
            "oifname \"mig0\" goto migration_out",
            "oifname \"lo\" return",
            "ct state established,related return",
            "tcp dport @tcp_migration_only limit rate 10/second log prefix \"migfw drop: \"",
            "tcp dport @tcp_migration_only counter drop",
        ])
        #expect(Fixtures.lines(table, "migration_out") == [
            "ct state established,related accept",
            "ip daddr @trusted4 tcp dport @tcp_ports counter accept",
            "ip6 daddr @trusted6 tcp dport @tcp_ports counter accept",
            "tcp dport @tcp_ports limit rate 10/second log prefix \"migfw drop: \"",
            "tcp dport @tcp_ports counter drop",
        ])
        #expect(RulesetCompiler.compile(Fixtures.policy(profile: "xen", egress: false)).chain(named: "output") == nil)
    }

    @Test func emptyTrustedSetsStillExistSoTheShapeNeverChanges() {
        let empty = RulesetCompiler.compile(Fixtures.policy(networks: [], hosts: [], exclude: []))
        let full = RulesetCompiler.compile(Fixtures.policy())
        #expect(empty.set(named: "trusted4")?.elements == .ipv4([]))
        #expect(empty.set(named: "trusted6")?.elements == .ipv6([]))
        #expect(empty.chains == full.chains)
        #expect(NftText.render(empty).contains("set trusted4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t}"))
    }

    @Test func interfaceIsComparedAsSixteenNULPaddedBytes() {
        let table = RulesetCompiler.compile(Fixtures.policy(interface: "vlan.mig-1"))
        let first = table.chain(named: "input")!.rules[0].expressions
        #expect(first[0] == .meta(.iifname, dreg: .reg1))
        #expect(first[1] == .cmp(.eq, sreg: .reg1, data: Array("vlan.mig-1".utf8) + [UInt8](repeating: 0, count: 6)))
        #expect(first[2] == .verdict(.goto("migration_in")))
    }

    @Test func portSetLookupsCarryTheL4ProtoDependency() {
        let table = RulesetCompiler.compile(Fixtures.policy())
        let accept4 = table.chain(named: "migration_in")!.rules.first { NftText.render(rule: $0).hasPrefix("ip saddr") }!
        #expect(accept4.expressions == [
            .meta(.nfproto, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: [2]),
            .payload(.network, offset: 12, length: 4, dreg: .reg1),
            .lookup(set: "trusted4", sreg: .reg1, inverted: false),
            .meta(.l4proto, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: [6]),
            .payload(.transport, offset: 2, length: 2, dreg: .reg1),
            .lookup(set: "tcp_ports", sreg: .reg1, inverted: false),
            .counter, .verdict(.accept),
        ])
    }
}
