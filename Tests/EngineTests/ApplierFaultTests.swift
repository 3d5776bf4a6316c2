import Engine
import Foundation
import Netlink
import Prefix
import Ruleset
import Testing
import TestSupport

/// The plan-based applier against an in-memory kernel (``FakeKernel``), no root: the paths
/// that need a fault at a chosen moment. The kernel tests cover the same engine for real.
@Suite struct ApplierFaultTests {
    static func host(_ last: UInt8) -> AddressRange<IPv4Address> { CIDR(host: IPv4Address(192, 168, 20, last)).range }

    static func table(_ hosts: [UInt8]) -> Table {
        Table(sets: [NamedSet(name: "trusted4", elements: .ipv4(hosts.map(host)))],
              chains: [Chain(name: "input", base: BaseChain(hook: .input),
                             rules: [Rule([.lookup(set: "trusted4", sreg: .reg1, inverted: false), .verdict(.accept)]),
                                     Rule([.counter, .verdict(.drop)])]),
                       Chain(name: "output", base: BaseChain(hook: .output), rules: [Rule([.verdict(.accept)])])])
    }

    /// A fresh private state directory, removed afterwards.
    static func withApplier(_ kernel: FakeKernel, _ body: (Applier, String) throws -> Void) throws {
        let directory = URL(fileURLWithPath: privateTemporaryDirectory).appendingPathComponent(UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let applier = Applier(session: kernel, namespace: "fake", namespaceID: 42, stateDirectory: directory)
        try body(applier, ApplyState.path(directory: directory, namespace: "fake"))
    }

    @Test func aMissingTableIsCreatedThroughThePlanAndRecorded() throws {
        let kernel = FakeKernel()
        try Self.withApplier(kernel) { applier, statePath in
            let result = try applier.apply(Self.table([11, 12]))
            #expect(result.committed && result.plan.tableMissing)
            #expect(kernel.table?.sameContent(as: Self.table([11, 12])) == true)
            #expect(ApplyState.load(path: statePath)?.generation == kernel.generationID)
            // In sync now: nothing sent, from the record.
            let again = try applier.apply(Self.table([11, 12]))
            #expect(!again.committed)
            #expect(kernel.committed.count == 1)
        }
    }

    @Test func aStaleGenerationIsReplannedAndRetried() throws {
        let kernel = FakeKernel(table: Self.table([11]))
        kernel.concurrentCommitsBeforeSend = 2
        try Self.withApplier(kernel) { applier, _ in
            let result = try applier.apply(Self.table([11, 12]))
            #expect(result.committed)
            #expect(result.attempts == 3)
            #expect(kernel.committed.count == 1)
            #expect(kernel.table?.sameContent(as: Self.table([11, 12])) == true)
        }
    }

    @Test func aRulesetThatKeepsChangingIsGivenUpWithNothingApplied() throws {
        let kernel = FakeKernel(table: Self.table([11]))
        kernel.concurrentCommitsBeforeSend = 100
        try Self.withApplier(kernel) { applier, _ in
            #expect(throws: EngineError.keptChanging(attempts: 5)) { try applier.apply(Self.table([11, 12])) }
            #expect(kernel.committed.isEmpty)
            #expect(kernel.table == Self.table([11]))
        }
    }

    /// A record that matches the generation id but not the kernel (corrupted, say): the
    /// plan made from it is refused (ENOENT on an element that is not there), so the
    /// applier drops the record, dumps, plans again, and succeeds.
    @Test func aStateFilePlanTheKernelRefusesIsReplannedFromADump() throws {
        let kernel = FakeKernel(table: Self.table([11]))
        try Self.withApplier(kernel) { applier, statePath in
            var wrong = Self.table([11, 99]).sets
            wrong[0].flags = kernel.table!.sets[0].flags
            try ApplyState(namespaceID: 42, generation: kernel.generationID,
                           digest: RulesetDigest.digest(Self.table([11, 99])), sets: wrong).save(path: statePath)
            let result = try applier.apply(Self.table([11, 12]))
            #expect(result.committed)
            #expect(result.attempts == 2)
            #expect(kernel.table?.sameContent(as: Self.table([11, 12])) == true)
            #expect(ApplyState.load(path: statePath)?.sets == Self.table([11, 12]).sets)
        }
    }

    /// A step after the commit fails: the apply fails, leaves no record for the fast path,
    /// and restoring the snapshot taken before puts the old ruleset back exactly.
    @Test func aFailureAfterTheCommitIsRestoredFromTheSnapshot() throws {
        let kernel = FakeKernel(table: Self.table([11]))
        try Self.withApplier(kernel) { applier, statePath in
            let previous = try applier.snapshot()
            applier.afterCommit = { throw EngineError.verificationFailed("injected") }
            #expect(throws: EngineError.verificationFailed("injected")) { try applier.apply(Self.table([11, 12])) }
            #expect(kernel.table?.sameContent(as: Self.table([11, 12])) == true)
            #expect(ApplyState.load(path: statePath) == nil)
            applier.afterCommit = nil
            let restored = try applier.restore(previous)
            #expect(restored.committed)
            #expect(kernel.table?.sameContent(as: Self.table([11])) == true)
        }
    }

    @Test func restoringNoTableDeletesTheOneCreated() throws {
        let kernel = FakeKernel()
        try Self.withApplier(kernel) { applier, _ in
            let previous = try applier.snapshot()
            _ = try applier.apply(Self.table([11]))
            #expect(kernel.table != nil)
            _ = try applier.restore(previous)
            #expect(kernel.table == nil)
        }
    }

    /// What the kernel stored is not what was sent: the structure check after the commit
    /// catches a lost rule, a chain policy, a dormant table; and no record is left behind.
    @Test(arguments: ["lost rule", "dormant", "missing chain", "set flags"])
    func theStructureCheckCatchesWhatTheKernelStoredWrongly(_ fault: String) throws {
        let kernel = FakeKernel(table: Self.table([11]))
        kernel.corruptAfterCommit = { table in
            switch fault {
            case "lost rule": table.chains[0].rules.removeLast()
            case "dormant": table.flags = .dormant
            case "missing chain": table.chains.removeLast()
            default: table.sets[0].flags = SetFlags(rawValue: 0)
            }
        }
        try Self.withApplier(kernel) { applier, statePath in
            #expect(throws: EngineError.self) { try applier.apply(Self.table([11, 12])) }
            #expect(ApplyState.load(path: statePath) == nil)
        }
    }

    /// The structure check compares chains by name: the kernel listing a re-created chain
    /// last is no failure.
    @Test func chainOrderIsNoFailure() throws {
        let kernel = FakeKernel(table: Self.table([11]))
        kernel.corruptAfterCommit = { table in table.chains.reverse() }
        try Self.withApplier(kernel) { applier, _ in
            let result = try applier.apply(Self.table([11, 12]))
            #expect(result.committed)
        }
    }

    @Test func anInterruptedDumpIsReadAgainAndGivenUpAfterTheLimit() throws {
        let kernel = FakeKernel(table: Self.table([11]))
        try Self.withApplier(kernel) { applier, _ in
            kernel.interruptedDumps = 2
            let snapshot = try applier.snapshot(allowState: false)
            #expect(snapshot.table == Self.table([11]))
            kernel.interruptedDumps = 100
            #expect(throws: EngineError.self) { try applier.snapshot(allowState: false) }
        }
    }

    /// A rollback hold (``ApplyOptions/hold``) stops a non-empty plan before anything is
    /// sent: the plan is reported and returned, nothing is committed.
    @Test func aHoldStopsThePlanBeforeTheCommit() throws {
        let kernel = FakeKernel(table: Self.table([11]))
        try Self.withApplier(kernel) { applier, _ in
            let before = kernel.generationID
            let hold = RolledBackPolicy(digest: 7, namespaceID: 42, reason: "not confirmed")
            var reported = 0
            let result = try applier.apply(Self.table([11, 12]), ApplyOptions(hold: hold)) { _ in reported += 1 }
            #expect(result.held == hold && !result.committed)
            #expect(result.plan.summary.changeCount == 1)
            #expect(reported == 1)
            #expect(kernel.committed.isEmpty)
            #expect(kernel.generationID == before)
        }
    }

    /// A rejected message anywhere in the batch applies nothing (all or nothing).
    @Test func aRejectedMessageAppliesNothing() throws {
        let kernel = FakeKernel(table: Self.table([11]))
        kernel.rejectOperation = (index: 0, errno: EPERM)
        try Self.withApplier(kernel) { applier, _ in
            #expect(throws: EngineError.self) { try applier.apply(Self.table([11, 12]), ApplyOptions(trustState: false)) }
            #expect(kernel.table == Self.table([11]))
        }
    }
}
