import Engine
import Foundation
import Netlink
import Plan
import Ruleset
import Testing
import TestSupport

/// The one engine's other paths on the in-memory kernel: `--rebuild` as a plan that
/// replaces the table in the same batch, and the verification levels.
@Suite struct ApplyModesTests {
    static let table = ApplierFaultTests.table

    @Test func aRebuildDeletesAndCreatesInOneBatchAndVerifiesEverything() throws {
        // A foreign element (99) a plan would remove one by one; a rebuild drops it with the table.
        let kernel = FakeKernel(table: Self.table([11, 99]))
        try ApplierFaultTests.withApplier(kernel) { applier, statePath in
            let result = try applier.apply(Self.table([11, 12]), ApplyOptions(mode: .replace))
            #expect(result.committed && result.replaced)
            #expect(result.verification == .full)
            #expect(kernel.committed.count == 1)
            #expect(kernel.committed.first?.operations.first == .deleteTable)
            #expect(kernel.table?.sameContent(as: Self.table([11, 12])) == true)
            #expect(ApplyState.load(path: statePath)?.generation == kernel.generationID)
        }
    }

    @Test func aRebuildOfNoTableCreatesIt() throws {
        let kernel = FakeKernel()
        try ApplierFaultTests.withApplier(kernel) { applier, _ in
            let result = try applier.apply(Self.table([11]), ApplyOptions(mode: .replace))
            #expect(result.committed && !result.replaced && result.plan.tableMissing)
            #expect(kernel.committed.first?.operations.contains(.deleteTable) == false)
        }
    }

    /// The rebuild goes through the same compare-and-swap loop as a plan.
    @Test func aRebuildRetriesOnAStaleGeneration() throws {
        let kernel = FakeKernel(table: Self.table([11]))
        kernel.concurrentCommitsBeforeSend = 2
        try ApplierFaultTests.withApplier(kernel) { applier, _ in
            let result = try applier.apply(Self.table([11, 12]), ApplyOptions(mode: .replace))
            #expect(result.attempts == 3)
            #expect(result.phases.phases.first?.name == "retries")
            #expect(kernel.committed.count == 1)
        }
    }

    /// A read the kernel flags as interrupted by a commit (the rebuild's light read) is a
    /// stale view: planned again, not a failure.
    @Test func anInterruptedReadIsReadAgain() throws {
        let kernel = FakeKernel(table: Self.table([11]))
        kernel.interruptedDumps = 1
        try ApplierFaultTests.withApplier(kernel) { applier, _ in
            let result = try applier.apply(Self.table([11, 12]), ApplyOptions(mode: .replace))
            #expect(result.committed && result.attempts == 2)
        }
    }

    /// Rule comments are userdata: the planner ignores them, so the verifier does too (a
    /// comment someone put on migfw's rule must not fail every later apply).
    @Test func aRuleCommentIsNoDifference() {
        let table = Self.table([11])
        var commented = table
        commented.chains[0].rules[0].comment = "added by someone"
        #expect(Verifier.difference(expected: table, actual: commented) == nil)
        commented.chains[0].rules[0].expressions.removeLast()
        #expect(Verifier.difference(expected: table, actual: commented) != nil)
    }

    /// A created table is verified in full by default: an element the kernel lost is caught,
    /// and no record is left for the fast path.
    @Test func aCreatedTableIsVerifiedInFull() throws {
        let kernel = FakeKernel()
        kernel.corruptAfterCommit = { table in table.sets[0].elements = .ipv4([ApplierFaultTests.host(11)]) }
        try ApplierFaultTests.withApplier(kernel) { applier, statePath in
            #expect(throws: EngineError.self) { try applier.apply(Self.table([11, 12])) }
            #expect(ApplyState.load(path: statePath) == nil)
        }
    }

    /// A plan's default check reads no elements (the kernel acknowledged each message);
    /// `.full` reads them and catches what the kernel lost.
    @Test func fullVerificationOfAPlanReadsTheElements() throws {
        let kernel = FakeKernel(table: Self.table([11]))
        kernel.corruptAfterCommit = { table in table.sets[0].elements = .ipv4([ApplierFaultTests.host(12)]) }
        try ApplierFaultTests.withApplier(kernel) { applier, _ in
            #expect(throws: EngineError.self) {
                try applier.apply(Self.table([11, 12]), ApplyOptions(trustState: false, verification: .full))
            }
            #expect(kernel.elementReads == 1)
        }
    }

    @Test(arguments: [(Verification.none, 0), (.structure, 1), (.full, 2)])
    func eachLevelReadsWhatItSays(_ level: Verification, reads: Int) throws {
        let kernel = FakeKernel()
        try ApplierFaultTests.withApplier(kernel) { applier, _ in
            let result = try applier.apply(Self.table([11]), ApplyOptions(mode: .replace, verification: level))
            #expect(result.committed && result.verification == level)
            // The table without elements, then (full) the one set's elements.
            #expect(kernel.readsSinceCommit == reads)
        }
    }
}
