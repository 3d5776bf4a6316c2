import Engine
import Foundation
import Netlink
import Prefix
import Ruleset
import Testing
import TestSupport

/// `apply --confirm`'s protocol (``ConfirmedApply``) on the in-memory kernel: restore
/// first, then record the hold, then end the pending file; a failed restore records
/// nothing and leaves the pending file to raise the alert.
@Suite(.serialized) struct ConfirmedApplyTests {
    static func withConfirmedApply(_ kernel: FakeKernel,
                                   _ body: (ConfirmedApply, _ directory: String) throws -> Void) throws {
        let directory = URL(fileURLWithPath: privateTemporaryDirectory).appendingPathComponent(UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        let applier = Applier(session: kernel, namespace: "fake", namespaceID: 42, stateDirectory: directory)
        try body(try ConfirmedApply(applier: applier, stateDirectory: directory, namespace: "fake"), directory)
    }

    static func pendingExists(_ directory: String) -> Bool {
        FileManager.default.fileExists(atPath: Confirmation(stateDirectory: directory, namespace: "fake").pendingPath)
    }

    static func hold(_ directory: String) -> RolledBackPolicy? {
        RolledBackPolicy.load(path: RolledBackPolicy.path(directory: directory, namespace: "fake"))
    }

    @Test func notConfirmedRestoresThenRecordsThenEnds() throws {
        let kernel = FakeKernel(table: ApplierFaultTests.table([11]))
        try Self.withConfirmedApply(kernel) { confirmed, directory in
            var prompted = false
            let desired = ApplierFaultTests.table([11, 12])
            let outcome = confirmed.run(desired, seconds: 0.1, keyboard: false) { prompted = true }
            guard case .rolledBack(_, let failure, let messages) = outcome else { Issue.record("kept"); return }
            #expect(prompted)
            #expect(failure == nil)
            #expect(messages.last?.contains("restored the previous ruleset") == true, "\(messages)")
            #expect(kernel.table?.sameContent(as: ApplierFaultTests.table([11])) == true)
            #expect(Self.hold(directory)?.digest == RulesetDigest.digest(desired))
            #expect(!Self.pendingExists(directory))
        }
    }

    @Test func aFailureAfterTheCommitRollsBackAndIsReturned() throws {
        let kernel = FakeKernel()
        try Self.withConfirmedApply(kernel) { confirmed, directory in
            struct Late: Error {}
            confirmed.applier.afterCommit = { throw Late() }
            let outcome = confirmed.run(ApplierFaultTests.table([11]), seconds: 30, keyboard: false) {}
            guard case .rolledBack(_, let failure, let messages) = outcome else { Issue.record("kept"); return }
            #expect(failure is Late)
            #expect(messages.last?.contains("deleted table inet migfw") == true, "\(messages)")
            #expect(kernel.table == nil)
            #expect(Self.hold(directory) != nil)
        }
    }

    /// Nothing was sent (the failure came first): nothing to hold against reconcile.
    @Test func aFailureBeforeAnyBatchRecordsNoHold() throws {
        let kernel = FakeKernel(table: ApplierFaultTests.table([11]))
        try Self.withConfirmedApply(kernel) { confirmed, directory in
            struct Early: Error {}
            confirmed.applier.beforeCommit = { _ in throw Early() }
            let outcome = confirmed.run(ApplierFaultTests.table([11, 12]), seconds: 30, keyboard: false) {}
            guard case .rolledBack(_, let failure, _) = outcome else { Issue.record("kept"); return }
            #expect(failure is Early)
            #expect(Self.hold(directory) == nil)
            #expect(!Self.pendingExists(directory))
        }
    }

    /// The restore fails too: no hold is recorded (it would stop reconcile from ever
    /// repairing a ruleset nobody confirmed), and the pending file stays for the alert.
    @Test func aFailedRestoreRecordsNothingAndKeepsThePendingFile() throws {
        let kernel = FakeKernel(table: ApplierFaultTests.table([11]))
        try Self.withConfirmedApply(kernel) { confirmed, directory in
            let desired = ApplierFaultTests.table([11, 12])
            let outcome = confirmed.run(desired, seconds: 0.1, keyboard: false) { kernel.rejectEverything = true }
            guard case .rolledBack(_, _, let messages) = outcome else { Issue.record("kept"); return }
            #expect(messages.count == 1 && messages[0].contains("rollback FAILED"), "\(messages)")
            #expect(Self.hold(directory) == nil)
            #expect(Self.pendingExists(directory))
        }
    }

    @Test func aConfirmationKeepsTheRulesetAndClearsAnOldHold() throws {
        let kernel = FakeKernel(table: ApplierFaultTests.table([11]))
        try Self.withConfirmedApply(kernel) { confirmed, directory in
            try RolledBackPolicy(digest: 1, namespaceID: 42, reason: "old")
                .save(path: RolledBackPolicy.path(directory: directory, namespace: "fake"))
            let confirmation = Confirmation(stateDirectory: directory, namespace: "fake")
            let desired = ApplierFaultTests.table([11, 12])
            let outcome = confirmed.run(desired, seconds: 10, keyboard: false) {
                // `migfw confirm` from another session, as soon as the prompt is out.
                try? confirmation.confirm()
            }
            guard case .confirmed = outcome else { Issue.record("rolled back: \(outcome)"); return }
            #expect(kernel.table?.sameContent(as: desired) == true)
            #expect(Self.hold(directory) == nil)
            #expect(!Self.pendingExists(directory))
        }
    }
}
