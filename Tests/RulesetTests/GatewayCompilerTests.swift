import Foundation
import Policy
import Prefix
@testable import Ruleset
import Testing

/// Gateway mode's table: where it lives, what it matches, and that the bridged one never
/// depends on conntrack (the bridge family has none on the kernels migfw targets).
struct GatewayCompilerTests {
    @Test func routedIsAForwardChainInTableInetMigfw() {
        let table = RulesetCompiler.compile(Fixtures.gateway(.routed, egress: true))
        #expect(table.family == .inet)
        #expect(table.chains.map(\.name) == ["forward", "output", "input"])
        #expect(table.chains[0].base == BaseChain(hook: .forward, priority: 0, policy: .accept))
        #expect(table.sets.map(\.name) == ["trusted4", "trusted6", "protected4", "protected6", "tcp_ports", "tcp_migration_only",
                                           "refused4", "refused6"])
        #expect(Fixtures.lines(table, "forward") == [
            "ct state established,related accept",
            "ip daddr @protected4 ip saddr @trusted4 tcp dport @tcp_ports counter accept",
            "ip6 daddr @protected6 ip6 saddr @trusted6 tcp dport @tcp_ports counter accept",
            "ip daddr @protected4 tcp dport @tcp_ports update @refused4 { ip saddr }",
            "ip daddr @protected4 tcp dport @tcp_ports counter drop",
            "ip6 daddr @protected6 tcp dport @tcp_ports update @refused6 { ip6 saddr }",
            "ip6 daddr @protected6 tcp dport @tcp_ports counter drop",
            // Every other address behind the routed interface: link-local, SLAAC, the other version.
            "oifname \"prod0\" ip saddr @trusted4 tcp dport @tcp_migration_only counter accept",
            "oifname \"prod0\" ip6 saddr @trusted6 tcp dport @tcp_migration_only counter accept",
            "oifname \"prod0\" tcp dport @tcp_migration_only update @refused4 { ip saddr }",
            "oifname \"prod0\" tcp dport @tcp_migration_only update @refused6 { ip6 saddr }",
            "oifname \"prod0\" tcp dport @tcp_migration_only counter drop",
            "ip saddr @protected4 ip daddr @trusted4 tcp dport @tcp_ports counter accept",
            "ip6 saddr @protected6 ip6 daddr @trusted6 tcp dport @tcp_ports counter accept",
            "ip saddr @protected4 tcp dport @tcp_ports counter drop",
            "ip6 saddr @protected6 tcp dport @tcp_ports counter drop",
            "iifname \"prod0\" ip daddr @trusted4 tcp dport @tcp_migration_only counter accept",
            "iifname \"prod0\" ip6 daddr @trusted6 tcp dport @tcp_migration_only counter accept",
            "iifname \"prod0\" tcp dport @tcp_migration_only counter drop",
        ])
        // The gateway's own connections toward the protected hosts: the inbound rules, on the
        // migration-only ports (the admin keeps SMB, SSH...), recording no refused source.
        let output = Fixtures.lines(table, "output")
        #expect(table.chain(named: "output")?.base?.hook == .output)
        #expect(output.first == "ct state established,related accept")
        #expect(output.contains("ip daddr @protected4 ip saddr @trusted4 tcp dport @tcp_migration_only counter accept"))
        #expect(output.contains("oifname \"prod0\" tcp dport @tcp_migration_only counter drop"))
        #expect(!output.contains { $0.contains("@tcp_ports") || $0.contains("update @refused") }, "\(output)")
        let input = Fixtures.lines(table, "input")
        #expect(input.contains("iifname \"prod0\" tcp dport @tcp_migration_only counter drop"))
        #expect(!input.contains { $0.contains("@tcp_ports") }, "\(input)")
    }

    @Test func aBridgeGuardsTheNamedPortsTowardTheHosts() {
        var policy = Fixtures.gateway(.bridge, egress: false)
        #expect(!Fixtures.lines(RulesetCompiler.compile(policy), "forward").contains { $0.contains("oifname") })
        let location = policy.interface.location
        policy.gateway?.protectedSide = [Located("esx1", at: location)]
        let table = RulesetCompiler.compile(policy)
        #expect(table.chains.map(\.name) == ["forward", "output"])
        #expect(table.chain(named: "output")?.base == BaseChain(hook: .output, priority: -200, policy: .accept))
        let forward = Fixtures.lines(table, "forward")
        #expect(forward.contains("oifname \"esx1\" ip saddr @trusted4 tcp dport @tcp_migration_only counter accept"), "\(forward)")
        #expect(forward.last?.hasPrefix("oifname \"esx1\"") == true && forward.last?.hasSuffix("counter drop") == true)
        #expect(!Fixtures.lines(table, "output").contains { $0.contains("ct state") })
    }

    @Test func bridgedIsStatelessInTableBridgeMigfw() {
        let table = RulesetCompiler.compile(Fixtures.gateway(.bridge, egress: false))
        #expect(table.family == .bridge)
        #expect(table.chains[0].base == BaseChain(hook: .forward, priority: BaseChain.bridgeFilterPriority, policy: .accept))
        let expressions = table.chains.flatMap(\.rules).flatMap(\.expressions)
        #expect(!expressions.contains { if case .ct = $0 { true } else { false } }, "no conntrack in a bridge table")
        // The network dependency is the EtherType, as nft writes it in a bridge table.
        #expect(!expressions.contains(.meta(.nfproto, dreg: .reg1)))
        #expect(Fixtures.lines(table, "forward") == [
            "meta protocol 8021q counter drop",
            "meta protocol 8021ad counter drop",
            // Outer tags the kernel does not take off (older QinQ types): dropped too.
            "meta protocol 0x9100 counter drop",
            "meta protocol 0x9200 counter drop",
            "meta protocol 0x9300 counter drop",
            "ip daddr @protected4 ip saddr @trusted4 tcp dport @tcp_ports counter accept",
            "ip6 daddr @protected6 ip6 saddr @trusted6 tcp dport @tcp_ports counter accept",
            "ip daddr @protected4 tcp dport @tcp_ports update @refused4 { ip saddr }",
            "ip daddr @protected4 tcp dport @tcp_ports counter drop",
            "ip6 daddr @protected6 tcp dport @tcp_ports update @refused6 { ip6 saddr }",
            "ip6 daddr @protected6 tcp dport @tcp_ports counter drop",
        ])
        #expect(NftText.render(table).contains("type filter hook forward priority filter; policy accept;"))
    }

    @Test func eachDependencyOncePerRule() {
        let table = RulesetCompiler.compile(Fixtures.gateway(.routed, egress: false))
        let rule = table.chains[0].rules[1].expressions
        #expect(rule.filter { $0 == .meta(.nfproto, dreg: .reg1) }.count == 1)
        #expect(rule.filter { $0 == .meta(.l4proto, dreg: .reg1) }.count == 1)
    }

    @Test func protectedSetsAreAggregatedPerFamily() {
        let policy = Fixtures.gateway(.routed, protected: ["10.20.0.0/25", "10.20.0.128/25", "10.30.0.11", "fd00:20::/64"])
        let table = RulesetCompiler.compile(policy)
        #expect(table.set(named: "protected4")?.elements == .ipv4([
            AddressRange(lower: IPv4Address(10, 20, 0, 0), upper: IPv4Address(10, 20, 0, 255))!,
            AddressRange(lower: IPv4Address(10, 30, 0, 11), upper: IPv4Address(10, 30, 0, 11))!,
        ]))
        #expect(table.set(named: "protected6")?.elements.count == 1)
    }

    @Test func hostModeIsUnchanged() {
        let table = RulesetCompiler.compile(Fixtures.policy())
        #expect(table.family == .inet)
        #expect(table.chains.map(\.name) == ["migration_in", "input"])
        #expect(table.set(named: "protected4") == nil)
    }

    @Test func decodedGatewayRulesRenderAndRoundTrip() {
        for via in GatewayPath.allCases {
            let table = RulesetCompiler.compile(Fixtures.gateway(via, egress: true, logDrops: true))
            for rule in table.chains[0].rules {
                let statements = RuleDecoder.statements(rule.expressions)
                #expect(statements != nil, "\(via): \(NftDebug.render(rule.expressions))")
                if let statements {
                    #expect(Statement.lowered(statements, family: table.family) == rule.expressions)
                }
            }
        }
    }

    /// The routed forward chain of docs/gateway-mode.md lists exactly the rules the compiler writes.
    @Test func readmeForwardChainIsCurrent() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("docs/gateway-mode.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "**Routed**"))
        let block = try #require(readme.range(of: "table inet migfw {", range: section.upperBound..<readme.endIndex))
        let end = try #require(readme.range(of: "```", range: block.upperBound..<readme.endIndex))
        let rules = readme[block.upperBound..<end.lowerBound].split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("ip") || $0.hasPrefix("ct ") || $0.hasPrefix("oifname") || $0.hasPrefix("iifname") }
        let table = RulesetCompiler.compile(Fixtures.gateway(.routed, egress: true))
        #expect(rules == Fixtures.lines(table, "forward"))
    }
}
