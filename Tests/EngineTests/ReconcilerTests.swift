import Engine
import Foundation
import Netlink
import Plan
import Ruleset
import Testing
import TestSupport

/// reconcile's engine run (``Reconciler``) on the in-memory kernel: the fast path, the
/// repair, and the rollback hold, which reports the drift but sends nothing.
@Suite struct ReconcilerTests {
    @Test func theFastPathAnswersFromTheRecordAndARepairIsCommitted() throws {
        let kernel = FakeKernel()
        try ApplierFaultTests.withApplier(kernel) { applier, _ in
            _ = try applier.apply(ApplierFaultTests.table([11]))
            let reconciler = Reconciler(applier: applier, hold: nil)
            guard case .inSync(fastPath: true) = try reconciler.run(ApplierFaultTests.table([11]), full: false, reportDrift: { _ in })
            else { Issue.record("not the fast path"); return }
            guard case .inSync(fastPath: false) = try reconciler.run(ApplierFaultTests.table([11]), full: true, reportDrift: { _ in })
            else { Issue.record("--full must compare everything"); return }
            var plans: [RulesetPlan] = []
            guard case .repaired(let result) = try reconciler.run(ApplierFaultTests.table([11, 12]), full: false,
                                                                   reportDrift: { plans.append($0) })
            else { Issue.record("no repair"); return }
            #expect(result.committed)
            #expect(plans.count == 1)
            #expect(kernel.table?.sameContent(as: ApplierFaultTests.table([11, 12])) == true)
        }
    }

    @Test func aRollbackHoldReportsTheDriftAndSendsNothing() throws {
        let kernel = FakeKernel(table: ApplierFaultTests.table([11, 99]))
        try ApplierFaultTests.withApplier(kernel) { applier, _ in
            let hold = RolledBackPolicy(digest: 7, namespaceID: 42, reason: "not confirmed within 5 s")
            var reported: [String] = []
            let outcome = try Reconciler(applier: applier, hold: hold).run(ApplierFaultTests.table([11]), full: false) { plan in
                reported += DriftEvents.events(for: plan).map(\.message)
            }
            guard case .held(let plan, let record) = outcome else { Issue.record("not held: \(outcome)"); return }
            #expect(record == hold)
            #expect(plan.summary.unexpectedAddressRanges == 1)
            #expect(reported.contains { $0.contains("possible intrusion") }, "\(reported)")
            #expect(kernel.committed.isEmpty)
            #expect(kernel.table == ApplierFaultTests.table([11, 99]))
        }
    }
}
