import Engine
import Foundation
import Netlink
import Prefix
import Ruleset
import Testing
import TestSupport

/// Every `Expression` case, every verdict and a rule comment go through the kernel and
/// decode back to the same values; nft lists the comment as nft itself would write it.
/// (A packet limit with burst 0 comes back as 5: the kernel substitutes its default, so the
/// model must say 5, as nft does.)
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"))
struct ExpressionRoundTripTests {
    static var table: Table {
        let ifname = Array("mig0".utf8) + [UInt8](repeating: 0, count: 12)
        let ipv4: [UInt8] = [UInt8(2)]  // NFPROTO_IPV4
        let rules: [Rule] = [
            Rule([.meta(.iifname, dreg: .reg1), .cmp(.neq, sreg: .reg1, data: ifname), .verdict(.return)],
                 comment: "not the migration NIC"),
            Rule([.ct(.state, dreg: .reg1),
                  .bitwise(sreg: .reg1, dreg: .reg1, length: 4, mask: [0x06, 0, 0, 0], xor: [0, 0, 0, 0]),
                  .cmp(.neq, sreg: .reg1, data: [0, 0, 0, 0]), .verdict(.accept)]),
            Rule([.meta(.nfproto, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: ipv4),
                  .payload(.network, offset: 12, length: 4, dreg: .reg1),
                  .lookup(set: NamedSet.trusted4, sreg: .reg1, inverted: true), .counter, .verdict(.drop)]),
            Rule([.meta(.l4proto, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: [6]),
                  .payload(.transport, offset: 2, length: 2, dreg: .reg1),
                  .range(.eq, sreg: .reg1, from: [0xc0, 0x00], to: [0xc0, 0x3f]), .verdict(.jump("side"))]),
            Rule([.limit(rate: 10, unitSeconds: 60, burst: 5, inverted: false), .log(prefix: "migfw: ", level: .notice),
                  .verdict(.continue)]),
            Rule([.limit(rate: 3, unitSeconds: 1, burst: 1, inverted: true), .log(prefix: nil, level: nil),
                  .verdict(.goto("side"))]),
            Rule([.meta(.mark, dreg: .reg2), .cmp(.gte, sreg: .reg2, data: [0, 0, 0, 1]), .verdict(.drop)]),
        ]
        return Table(
            sets: [
                NamedSet(name: NamedSet.trusted4, elements: .ipv4([
                    AddressRange(lower: IPv4Address(10, 0, 0, 0), upper: IPv4Address(10, 0, 0, 255))!])),
                NamedSet(name: "plain_ports", flags: [], elements: .ports([22...22, 80...80])),
            ],
            chains: [
                Chain(name: "input", base: BaseChain(hook: .input, priority: -10, policy: .accept), rules: rules),
                Chain(name: "side", rules: [Rule([.counter, .verdict(.return)], comment: "regular chain")]),
                Chain(name: "out", base: BaseChain(hook: .output, priority: 100, policy: .drop), rules: []),
            ])
    }

    @Test func everyExpressionDecodesToWhatWasSent() throws {
        try withMigrationNamespace(tag: "exprs") { namespace in
            let table = Self.table
            try engineApply(table, namespace: namespace.name)  // verifies decode == model
            let snapshot = try #require(try NetlinkSession(namespace: namespace.name).readTable())
            #expect(snapshot.table.sameContent(as: table))
            for chain in table.chains {
                let decoded = try #require(snapshot.table.chain(named: chain.name))
                #expect(decoded == chain)
                #expect(snapshot.ruleHandles[chain.name]?.count == chain.rules.count)
            }
            let listing = try namespace.exec(["nft", "list", "table", "inet", "migfw"]).stdout
            #expect(listing.contains("comment \"not the migration NIC\""))
            #expect(listing.contains("comment \"regular chain\""))
            #expect(listing.contains("policy drop"))
        }
    }

    /// A bridge table (gateway mode, bridged): the forward hook at the bridge's filter
    /// priority, `meta protocol` dependencies and matches; decoded back to the same values,
    /// and `nft list` prints every rule as NftText writes it.
    @Test func bridgeTableDecodesToWhatWasSent() throws {
        let table = try sampleTable("vmware-bridge-gateway.yaml")
        try #require(table.family == .bridge)
        try withMigrationNamespace(tag: "brexp") { namespace in
            try engineApply(table, namespace: namespace.name)  // verifies decode == model
            let snapshot = try #require(try NetlinkSession(namespace: namespace.name).readTable(family: .bridge))
            #expect(snapshot.table.sameContent(as: table))
            #expect(try NetlinkSession(namespace: namespace.name).readTable(family: .inet) == nil)
            let listing = try namespace.exec(["nft", "list", "chain", "bridge", "migfw", "forward"]).stdout
            let listed = listing.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { $0.hasPrefix("ip") || $0.hasPrefix("meta") || $0.hasPrefix("oifname") || $0.hasPrefix("iifname") }
                .map { $0.replacingOccurrences(of: #"counter packets \d+ bytes \d+"#, with: "counter", options: .regularExpression) }
            #expect(listed == table.chains[0].rules.map { NftText.render(rule: $0) })
            #expect(listing.contains("type filter hook forward priority filter; policy accept;"))
        }
    }

    /// The refused-source sets (size, dynamic and timeout flags, timeout, per-element
    /// counter) and the `update` rules that fill them decode back to the same values; nft
    /// lists the sets and rules exactly as NftText writes them; a listed element carries
    /// its counter and expiry, and stays out of the model.
    @Test func dynamicSetsAndUpdatesDecodeToWhatWasSent() throws {
        let table = Table(
            sets: [NamedSet.refused(ipv6: false), NamedSet.refused(ipv6: true)],
            chains: [Chain(name: "input", base: BaseChain(hook: .input), rules: [
                Rule(Statement.lowered([.match(Match(.tcpDport, .value([0x19, 0xc8]))),
                                        .update(set: NamedSet.refused4, key: .ipSaddr)])),
                Rule(Statement.lowered([.update(set: NamedSet.refused6, key: .ip6Saddr), .counter, .verdict(.drop)])),
            ])])
        try withMigrationNamespace(tag: "dynset") { namespace in
            try engineApply(table, namespace: namespace.name)  // verifies decode == model
            let listing = try namespace.exec(["nft", "list", "table", "inet", "migfw"]).stdout
            for set in table.sets { #expect(listing.contains(NftText.render(set: set)), "\(listing)") }
            #expect(listing.contains("\t\ttcp dport 6600 update @refused4 { ip saddr }\n"), "\(listing)")
            #expect(listing.contains("\t\tupdate @refused6 { ip6 saddr } counter packets 0 bytes 0 drop\n"), "\(listing)")

            try namespace.exec(["nft", "add", "element", "inet", "migfw", "refused6", "{ 2001:db8::7 }"])
            let snapshot = try #require(try NetlinkSession(namespace: namespace.name).readTable())
            #expect(snapshot.table.sameContent(as: table), "a dynamic set's element entered the model")
            let element = try #require(snapshot.dynamicElements[NamedSet.refused6]?.first)
            #expect(element.key == [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [7])
            #expect(element.counter == RuleCounter(packets: 0, bytes: 0))
            #expect(element.timeoutMilliseconds == NamedSet.refusedTimeoutMilliseconds)
            #expect((element.lastSeenMillisecondsAgo ?? .max) < 60_000)
            #expect(snapshot.dynamicElements[NamedSet.refused4]?.isEmpty == true)
        }
    }
}
