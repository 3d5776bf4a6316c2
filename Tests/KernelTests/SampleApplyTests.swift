import Engine
import Foundation
import Netlink
import Policy
import Ruleset
import Testing
import TestSupport

/// Every sample policy goes into the kernel through `migfw apply`, and the kernel then holds
/// what `nft -f` of `migfw compile` produces, and decodes back into the compiled model.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"))
struct SampleApplyTests {
    static let samples: [String] = (try? samplePaths()) ?? []

    @Test func thereAreSamples() {
        #expect(Self.samples.count >= 6)
    }

    @Test(arguments: samples)
    func sampleAppliesLikeNftAndDecodesToTheModel(path: String) throws {
        let policy = try PolicyLoader.load(path: path)
        let compiled = RulesetCompiler.compile(policy)
        // Host mode and a routed gateway: table inet migfw; a bridged gateway: table bridge migfw.
        let family = compiled.family
        try withMigrationNamespace(tag: "sample") { viaMigfw in
            try withMigrationNamespace(tag: "nft") { viaNft in
                try addInterface(policy.interface.value, to: viaMigfw)
                let applied = try migfw(["apply", "-c", path, "--netns", viaMigfw.name])
                #expect(applied.status == 0, "\(applied.stderr)")
                #expect(applied.stdout.contains("created table \(family.rawValue) migfw"))

                let text = try migfw(["compile", "-c", path])
                try #require(text.status == 0, "\(text.stderr)")
                try viaNft.exec(["nft", "-f", "-"], input: text.stdout)

                let listMigfw = try viaMigfw.exec(["nft", "list", "table", family.rawValue, "migfw"]).stdout
                let listNft = try viaNft.exec(["nft", "list", "table", family.rawValue, "migfw"]).stdout
                #expect(listMigfw == listNft)
                #expect(!listMigfw.isEmpty)

                // Decoding what migfw sent gives the model back, digest included.
                let mine = try #require(try NetlinkSession(namespace: viaMigfw.name).readTable(family: family))
                #expect(mine.table.sameContent(as: compiled))
                #expect(RulesetDigest.stored(in: mine.table.userdata) == RulesetDigest.digest(compiled))
                // And what nft built from the text decodes to the same model.
                let theirs = try #require(try NetlinkSession(namespace: viaNft.name).readTable(family: family))
                #expect(theirs.table.sameContent(as: compiled))

                // Re-applying the same policy changes nothing (apply is plan-based) ...
                let again = try migfw(["apply", "-c", path, "--netns", viaMigfw.name])
                #expect(again.status == 0, "\(again.stderr)")
                #expect(again.stdout.contains("already matched the policy"))
                // ... and --rebuild replaces the table and still verifies.
                let rebuilt = try migfw(["apply", "--rebuild", "-c", path, "--netns", viaMigfw.name])
                #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
                #expect(rebuilt.stdout.contains("replaced table \(family.rawValue) migfw"))
            }
        }
    }

    @Test func statusReportsSetsAndCounters() throws {
        let path = packageRoot.appendingPathComponent("samples/libvirt.yaml").path
        try withMigrationNamespace(tag: "status") { namespace in
            let before = try migfw(["status", "--netns", namespace.name])
            #expect(before.status == 0)
            #expect(before.stdout.contains("not loaded"))
            try #require(try migfw(["apply", "-c", path, "--netns", namespace.name]).status == 0)
            let status = try migfw(["status", "--netns", namespace.name])
            #expect(status.status == 0)
            let compiled = RulesetCompiler.compile(try PolicyLoader.load(path: path))
            for set in compiled.sets where !set.isDynamic {
                #expect(status.stdout.contains("set \(set.name) (\(set.keyType.rawValue)): \(set.elements.count) elements"))
            }
            for set in compiled.sets where set.isDynamic {
                #expect(status.stdout.contains("set \(set.name) (\(set.keyType.rawValue), dynamic): 0 sources of at most 4096"))
            }
            #expect(compiled.sets.filter(\.isDynamic).count == 2)
            #expect(status.stdout.contains("matches the table's content"))
            #expect(status.stdout.contains("[0 packets, 0 bytes]"))
            let json = try migfw(["status", "--json", "--netns", namespace.name])
            let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            #expect(object?["loaded"] as? Bool == true)
            #expect((object?["sets"] as? [Any])?.count == compiled.sets.count)
        }
    }

    @Test func deleteRemovesTheTableAndAbsentIsNotAnError() throws {
        let path = packageRoot.appendingPathComponent("samples/libvirt.yaml").path
        try withMigrationNamespace(tag: "delete") { namespace in
            try #require(try migfw(["apply", "-c", path, "--netns", namespace.name]).status == 0)
            let deleted = try migfw(["delete", "--netns", namespace.name])
            #expect(deleted.status == 0)
            #expect(deleted.stdout.contains("deleted table inet migfw"))
            #expect(try namespace.ruleset().isEmpty)
            let again = try migfw(["delete", "--netns", namespace.name])
            #expect(again.status == 0)
            #expect(again.stdout.contains("not loaded"))
        }
    }
}
