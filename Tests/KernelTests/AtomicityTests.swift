import Engine
import Foundation
import Netlink
import Policy
import Prefix
import Ruleset
import Testing
import TestSupport

/// All or nothing: a batch that fails late leaves the kernel byte-identical, and the error
/// names the operation; a stale generation id is refused.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"))
struct AtomicityTests {
    static let sample = packageRoot.appendingPathComponent("samples/libvirt.yaml").path
    /// A message for a set that is not in the batch nor in the kernel: the kernel rejects it
    /// with ENOENT after everything else in the batch was accepted.
    static let lateFailure: [Batch.Operation] = [
        .addElements(set: "missing", .ipv4([AddressRange(lower: IPv4Address(10, 9, 9, 0), upper: IPv4Address(10, 9, 9, 255))!])),
    ]

    func expectLateFailure(_ body: () throws -> Void) {
        do {
            try body()
            Issue.record("the batch with an injected failure was accepted")
        } catch let EngineError.netlink(.kernel(operation, errno, _)) {
            #expect(operation.hasPrefix("add set element to missing"), "\(operation)")
            #expect(operation.contains("(message "))
            #expect(errno == ENOENT)
        } catch {
            Issue.record("unexpected error: \(error)")
        }
    }

    @Test func lateFailureOverAnExistingTableChangesNothing() throws {
        let table = RulesetCompiler.compile(try PolicyLoader.load(path: Self.sample))
        try withMigrationNamespace(tag: "atomic") { namespace in
            try namespace.exec(["nft", "add", "table", "inet", "other"])
            try #require(try migfw(["apply", "-c", Self.sample, "--netns", namespace.name]).status == 0)
            let before = try namespace.ruleset()
            let session = try NetlinkSession(namespace: namespace.name)
            let generation = try session.generation()
            // A different table, so a commit would be visible in the listing.
            var changed = table
            changed.sets[0].elements = .ipv4([AddressRange(lower: IPv4Address(10, 1, 0, 0), upper: IPv4Address(10, 1, 255, 255))!])
            expectLateFailure { _ = try Applier.apply(changed, namespace: namespace.name, extraOperations: Self.lateFailure) }
            #expect(try namespace.ruleset() == before)
            #expect(try session.generation() == generation)
        }
    }

    @Test func lateFailureWithoutATableLeavesNone() throws {
        let table = RulesetCompiler.compile(try PolicyLoader.load(path: Self.sample))
        try withMigrationNamespace(tag: "atom0") { namespace in
            expectLateFailure { _ = try Applier.apply(table, namespace: namespace.name, extraOperations: Self.lateFailure) }
            let listing = try namespace.ruleset()
            #expect(listing.isEmpty)
        }
    }

    @Test func errorTextCarriesErrnoAndOperation() throws {
        try withMigrationNamespace(tag: "errtxt") { namespace in
            let session = try NetlinkSession(namespace: namespace.name)
            var batch = Batch.create(Table(), replacing: false)
            batch.append(.addChain(Chain(name: "input", base: BaseChain(hook: .input))))
            batch.append(.addChain(Chain(name: "input", base: BaseChain(hook: .input))))
            do {
                try session.send(batch)
                Issue.record("a duplicate chain was accepted")
            } catch let error as NetlinkError {
                #expect(error.description.hasPrefix("add chain input (message 4): File exists (EEXIST)"), "\(error)")
            }
            #expect(try namespace.ruleset().isEmpty)
        }
    }

    @Test func staleGenerationIsRefusedAndNothingApplied() throws {
        let table = RulesetCompiler.compile(try PolicyLoader.load(path: Self.sample))
        try withMigrationNamespace(tag: "cas") { namespace in
            let session = try NetlinkSession(namespace: namespace.name)
            let generation = try session.generation()
            try namespace.exec(["nft", "add", "table", "inet", "other"])  // someone else commits
            let before = try namespace.ruleset()
            #expect(throws: NetlinkError.generationChanged) {
                try session.send(Batch.create(table, replacing: false), expectedGeneration: generation)
            }
            #expect(try namespace.ruleset() == before)
            // With the current id it goes through.
            try session.send(Batch.create(table, replacing: false), expectedGeneration: try session.generation())
            #expect(try session.tableExists())
        }
    }
}
