import Engine
import Foundation
import Netlink
import Policy
import Ruleset
import Testing
import TestSupport

/// A table written by an older migfw, before the refused-sources sets (`refused4`,
/// `refused6`) and the rules that fill them: `migfw apply` brings it up to date in one plan,
/// and the kernel then holds exactly what a fresh apply creates.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"))
struct UpgradeTests {
    /// `table` as a migfw without refused sources compiled it.
    static func withoutRefusedSources(_ table: Table) -> Table {
        var old = table
        old.sets.removeAll { $0.isDynamic }
        for index in old.chains.indices {
            old.chains[index].rules.removeAll { rule in
                rule.expressions.contains { if case .dynsetUpdate = $0 { return true } else { return false } }
            }
        }
        return old
    }

    @Test func aTableWithoutRefusedSourcesIsUpgradedByAPlan() throws {
        let path = packageRoot.appendingPathComponent("samples/libvirt.yaml").path
        let policy = try PolicyLoader.load(path: path)
        let compiled = RulesetCompiler.compile(policy)
        let old = Self.withoutRefusedSources(compiled)
        try #require(old.sets.count < compiled.sets.count, "the sample has refused-sources sets")
        try withMigrationNamespace(tag: "upgr") { upgraded in
            try withMigrationNamespace(tag: "fresh") { fresh in
                try engineApply(old, namespace: upgraded.name)
                let applied = try migfw(["apply", "-c", path, "--netns", upgraded.name, "--verify", "full"])
                #expect(applied.status == 0, "\(applied.stderr)")
                #expect(applied.stdout.contains("updated table inet migfw"), "\(applied.stdout)")
                #expect(applied.stdout.contains("+ set refused4"), "\(applied.stdout)")
                #expect(try migfw(["apply", "-c", path, "--netns", fresh.name]).status == 0)
                let listUpgraded = try upgraded.exec(["nft", "list", "table", "inet", "migfw"]).stdout
                let listFresh = try fresh.exec(["nft", "list", "table", "inet", "migfw"]).stdout
                #expect(listUpgraded == listFresh)
                // And the next plan finds nothing to do.
                #expect(try migfw(["plan", "-c", path, "--netns", upgraded.name]).status == 0)
            }
        }
    }
}

/// A table written before migfw closed the other NICs (#19): one `input` chain that returned
/// for every interface but the migration NIC, no `tcp_migration_only` set. `status` says the
/// other NICs are open; one plan upgrades it to exactly what a fresh apply creates.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"))
struct OtherNICUpgradeTests {
    /// `table` (host mode) as a migfw that filtered the migration NIC only compiled it.
    static func migrationNICOnly(_ table: Table, interface: String) -> Table {
        var old = table
        old.sets.removeAll { $0.name.hasSuffix("_migration_only") }
        var chains: [Chain] = []
        for (base, regular, field) in [("input", "migration_in", MatchField.iifname), ("output", "migration_out", .oifname)] {
            guard let hooked = table.chain(named: base), let rules = table.chain(named: regular)?.rules else { continue }
            let scope = Rule(Statement.lowered([.match(Match(field, .interface(interface), negated: true)), .verdict(.return)]))
            chains.append(Chain(name: base, base: hooked.base, rules: [scope] + rules))
        }
        old.chains = chains
        return old
    }

    @Test func aTableThatFilteredOneNICIsUpgradedByAPlan() throws {
        let path = packageRoot.appendingPathComponent("samples/libvirt.yaml").path
        let policy = try PolicyLoader.load(path: path)
        let old = Self.migrationNICOnly(RulesetCompiler.compile(policy), interface: policy.interface.value)
        try #require(old.chains.map(\.name) == ["input", "output"], "the sample has egress")
        try withMigrationNamespace(tag: "upnic") { upgraded in
            try withMigrationNamespace(tag: "frnic") { fresh in
                try engineApply(old, namespace: upgraded.name)
                let before = try migfw(["status", "--netns", upgraded.name])
                #expect(before.stdout.contains("every other NIC passes them unfiltered"), "\(before.stdout)")
                let plan = try migfw(["plan", "-c", path, "--netns", upgraded.name])
                #expect(plan.status == 2)
                #expect(plan.stdout.contains("+ set tcp_migration_only"), "\(plan.stdout)")
                #expect(plan.stdout.contains("+ chain migration_in"), "\(plan.stdout)")
                #expect(plan.stdout.contains("    + tcp dport @tcp_migration_only counter drop"), "\(plan.stdout)")
                let applied = try migfw(["apply", "-c", path, "--netns", upgraded.name, "--verify", "full"])
                #expect(applied.status == 0, "\(applied.stderr)")
                #expect(try migfw(["apply", "-c", path, "--netns", fresh.name]).status == 0)
                let listUpgraded = try upgraded.exec(["nft", "list", "table", "inet", "migfw"]).stdout
                let listFresh = try fresh.exec(["nft", "list", "table", "inet", "migfw"]).stdout
                // The upgrade adds the regular chains after the base chains it keeps.
                #expect(GatewayDriftTests.chainsInAnyOrder(listUpgraded) == GatewayDriftTests.chainsInAnyOrder(listFresh))
                #expect(try migfw(["plan", "-c", path, "--netns", upgraded.name]).status == 0)
                let after = try migfw(["status", "--netns", upgraded.name])
                #expect(after.stdout.contains("every other NIC (loopback excepted) drops new connections to TCP 49152-49215"),
                        "\(after.stdout)")
            }
        }
    }
}
