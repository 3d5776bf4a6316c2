import Foundation
import Testing
import TestSupport

/// A prefix the admin takes out of the policy is removed by the next apply or reconcile, and
/// is not reported as a possible intrusion: migfw's own last commit (its state record) shows
/// migfw put it there. An address migfw never applied still is, also when both happen at once.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct WithdrawnPrefixTests {
    @Test func prefixRemovedFromThePolicyIsNoIntrusion() throws {
        try withPlanLab(tag: "wdr") { lab in
            try lab.writePolicy(extraTrusted: ["10.77.0.0/24"])
            #expect(try lab.run("apply").status == 0)
            #expect(try lab.run("plan").status == 0)
            try lab.writePolicy()

            let plan = try lab.run("plan")
            #expect(plan.status == 2)
            #expect(plan.stdout.contains("    - 10.77.0.0/24"), "\(plan.stdout)")
            #expect(!plan.stdout.contains("possible intrusion"), "\(plan.stdout)")

            let applied = try lab.run("apply")
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(applied.stdout.contains("1 element removed"), "\(applied.stdout)")
            #expect(!applied.stdout.contains("possible intrusion"), "\(applied.stdout)")
            #expect(try lab.run("plan").status == 0)
        }
    }

    @Test func withdrawnAndRogueTogetherFlagOnlyTheRogue() throws {
        try withPlanLab(tag: "wdr2") { lab in
            try lab.writePolicy(extraTrusted: ["10.77.0.0/24"])
            #expect(try lab.run("apply").status == 0)
            try lab.writePolicy()
            // Someone else commits too: the state record no longer matches the generation,
            // so migfw dumps the set, and still knows which addresses it applied itself.
            try lab.nft("add", "element", "inet", "migfw", "trusted4", "{ 10.66.0.7 }")

            let plan = try lab.run("plan")
            #expect(plan.status == 2)
            #expect(plan.stdout.contains("    - 10.77.0.0/24") && plan.stdout.contains("    - 10.66.0.7/32"), "\(plan.stdout)")
            #expect(plan.stdout.contains("    ! 10.66.0.7/32"), "\(plan.stdout)")
            #expect(!plan.stdout.contains("    ! 10.77.0.0/24"), "\(plan.stdout)")

            let repair = try lab.run("reconcile")
            #expect(repair.status == 2, "\(repair.stderr)")
            #expect(repair.stderr.contains("possible intrusion: set trusted4 trusted addresses the policy does not: 10.66.0.7/32;"),
                    "\(repair.stderr)")
            #expect(!repair.stderr.contains("does not: 10.77.0.0/24"), "\(repair.stderr)")
            #expect(try lab.run("plan").status == 0)
        }
    }

    /// A rollback (`apply --confirm` not confirmed) puts back what the kernel held, foreign
    /// elements included: it must not record that as migfw's own, or the rogue address would
    /// escape the next run's intrusion check.
    @Test func rollbackDoesNotExcuseARogueAddress() throws {
        try withPlanLab(tag: "wdrb") { lab in
            #expect(try lab.run("apply").status == 0)
            try lab.nft("add", "element", "inet", "migfw", "trusted4", "{ 10.66.0.7 }")
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            let unconfirmed = try lab.run("apply", ["--confirm", "0.5"])
            #expect(unconfirmed.status == 1, "\(unconfirmed.stdout)\(unconfirmed.stderr)")
            #expect(unconfirmed.stderr.contains("restored the previous ruleset"), "\(unconfirmed.stderr)")
            #expect(try lab.nft("list", "set", "inet", "migfw", "trusted4").contains("10.66.0.7"))

            // Back to the policy the rollback restored. (Reconcile reports but repairs nothing
            // until a deliberate apply: see RolledBackPolicyTests.)
            try lab.writePolicy()
            let plan = try lab.run("plan")
            #expect(plan.stdout.contains("    ! 10.66.0.7/32"), "\(plan.stdout)")
            let held = try lab.run("reconcile")
            #expect(held.status == 1, "\(held.stderr)")
            #expect(held.stderr.contains("possible intrusion: set trusted4 trusted addresses the policy does not: 10.66.0.7/32;"),
                    "\(held.stderr)")
            let applied = try lab.run("apply")
            #expect(applied.stdout.contains("    ! 10.66.0.7/32"), "\(applied.stdout)")
        }
    }
}
