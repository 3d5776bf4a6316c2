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
            _ = try Applier.apply(table, namespace: namespace.name)  // verifies decode == model
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
            _ = try Applier.apply(table, namespace: namespace.name)  // verifies decode == model
            let snapshot = try #require(try NetlinkSession(namespace: namespace.name).readTable(family: .bridge))
            #expect(snapshot.table.sameContent(as: table))
            #expect(try NetlinkSession(namespace: namespace.name).readTable(family: .inet) == nil)
            let listing = try namespace.exec(["nft", "list", "chain", "bridge", "migfw", "forward"]).stdout
            let listed = listing.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { $0.hasPrefix("ip") || $0.hasPrefix("meta") }
                .map { $0.replacingOccurrences(of: #"counter packets \d+ bytes \d+"#, with: "counter", options: .regularExpression) }
            #expect(listed == table.chains[0].rules.map { NftText.render(rule: $0) })
            #expect(listing.contains("type filter hook forward priority filter; policy accept;"))
        }
    }
}
