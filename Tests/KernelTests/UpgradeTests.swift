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
