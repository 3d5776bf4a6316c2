import Engine
import Foundation
import Netlink
import Policy
import Ruleset
import Testing
import TestSupport

/// migfw touches only `table inet migfw`, and copes with objects it did not write.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"))
struct ForeignObjectTests {
    static let sample = packageRoot.appendingPathComponent("samples/seed-dev-to-prod.yaml").path
    static let foreignTable = """
        table inet other {
        \tchain c {
        \t\ttype filter hook input priority 10; policy accept;
        \t\ttcp dport 22 counter accept comment "ssh"
        \t}
        }
        """

    @Test func foreignTableIsByteIdenticalAfterApplyReapplyAndDelete() throws {
        try withMigrationNamespace(tag: "foreign") { namespace in
            try namespace.exec(["nft", "-f", "-"], input: Self.foreignTable)
            let before = try namespace.ruleset()
            let foreignBefore = try namespace.exec(["nft", "list", "table", "inet", "other"]).stdout
            #expect(before.contains("table inet other"))

            for step in ["apply", "re-apply"] {
                let result = try migfw(["apply", "-c", Self.sample, "--netns", namespace.name])
                #expect(result.status == 0, "\(step): \(result.stderr)")
                #expect(try namespace.exec(["nft", "list", "table", "inet", "other"]).stdout == foreignBefore, "\(step)")
                #expect(try namespace.ruleset().contains("table inet migfw"))
            }
            let deleted = try migfw(["delete", "--netns", namespace.name])
            #expect(deleted.status == 0)
            #expect(try namespace.ruleset() == before)
        }
    }

    @Test func foreignRulesAndSetsInsideMigfwDecodeWithoutCrashingAndDiffer() throws {
        try withMigrationNamespace(tag: "alien") { namespace in
            try #require(try migfw(["apply", "-c", Self.sample, "--netns", namespace.name]).status == 0)
            let compiled = RulesetCompiler.compile(try PolicyLoader.load(path: Self.sample))
            try namespace.exec(["nft", "-f", "-"], input: """
                add set inet migfw macs { type ether_addr; elements = { 02:00:00:00:00:01 } }
                add rule inet migfw input ether saddr @macs meta mark set 0x1
                add rule inet migfw input ip saddr 10.0.0.0/8 ct mark set 0x2 accept
                """)
            let snapshot = try #require(try NetlinkSession(namespace: namespace.name).readTable())
            let macs = try #require(snapshot.table.set(named: "macs"))
            guard case .unknown(_, let length, let keys) = macs.elements else {
                Issue.record("ether_addr set decoded as \(macs.elements)")
                return
            }
            #expect(length == 6)
            #expect(keys == [[0x02, 0, 0, 0, 0, 0x01]])
            let input = try #require(snapshot.table.chain(named: "input"))
            let unknown = input.rules.flatMap(\.expressions).compactMap { expression -> String? in
                if case .unknown(let name, _) = expression { return name }
                return nil
            }
            // `meta iiftype` (nft's dependency for ether), `meta mark set`, `ct mark set`
            #expect(unknown.filter { $0 == "meta" }.count == 2, "\(unknown)")
            #expect(unknown.contains("ct"), "\(unknown)")
            #expect(!snapshot.table.sameContent(as: compiled))
            #expect(Verifier.difference(expected: compiled, actual: snapshot.table) != nil)
            // status says the content no longer matches what migfw applied
            let status = try migfw(["status", "--netns", namespace.name])
            #expect(status.status == 0)
            #expect(status.stdout.contains("DOES NOT MATCH"))
            // and apply puts the policy's table back
            #expect(try migfw(["apply", "-c", Self.sample, "--netns", namespace.name]).status == 0)
            let restored = try #require(try NetlinkSession(namespace: namespace.name).readTable())
            #expect(restored.table.sameContent(as: compiled))
        }
    }
}
