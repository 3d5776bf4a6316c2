import Engine
import Foundation
import Netlink
import Plan
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

    /// The batch the engine sends to create (or replace) `table` whole, with ``lateFailure``
    /// at its end, carrying the current generation id.
    static func createWithLateFailure(_ table: Table, session: NetlinkSession) throws -> NetlinkSession.Receipt {
        let generation = try session.generation()
        let plan = Planner.plan(desired: table, actual: nil)
        var batch = Batch.carrying(plan, replacing: try session.tableExists())
        batch.operations += lateFailure
        return try session.send(batch, expectedGeneration: generation)
    }

    func expectLateFailure(_ body: () throws -> Void) {
        do {
            try body()
            Issue.record("the batch with an injected failure was accepted")
        } catch let NetlinkError.kernel(operation, errno, _) {
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
            expectLateFailure { _ = try Self.createWithLateFailure(changed, session: session) }
            #expect(try namespace.ruleset() == before)
            #expect(try session.generation() == generation)
        }
    }

    @Test func lateFailureWithoutATableLeavesNone() throws {
        let table = RulesetCompiler.compile(try PolicyLoader.load(path: Self.sample))
        try withMigrationNamespace(tag: "atom0") { namespace in
            let session = try NetlinkSession(namespace: namespace.name)
            expectLateFailure { _ = try Self.createWithLateFailure(table, session: session) }
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

    @Test func kernelExtackTextIsPartOfTheError() throws {
        try withMigrationNamespace(tag: "extack") { namespace in
            let session = try NetlinkSession(namespace: namespace.name)
            var batch = Batch.create(Table(), replacing: false)
            // Longer than NFT_NAME_MAXLEN: the kernel's attribute policy rejects it and says why.
            batch.append(.addChain(Chain(name: String(repeating: "c", count: 300))))
            do {
                try session.send(batch)
                Issue.record("an over-long chain name was accepted")
            } catch let NetlinkError.kernel(operation, errno, extack) {
                #expect(operation.hasPrefix("add chain ccc"))
                #expect(errno == ERANGE || errno == EINVAL)
                #expect(extack?.isEmpty == false, "no extack text")
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
