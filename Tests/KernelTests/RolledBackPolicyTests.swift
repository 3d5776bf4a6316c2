import Foundation
import Testing
import TestSupport

/// After `apply --confirm` rolls a policy back, the policy file still says what was refused:
/// reconcile must not put it back (that would undo the rollback within a timer period).
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct RolledBackPolicyTests {
    @Test func reconcileDoesNotReapplyARolledBackPolicy() throws {
        try withPlanLab(tag: "rbk") { lab in
            #expect(try lab.run("apply").status == 0)
            let before = try lab.ruleset()
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            let unconfirmed = try lab.run("apply", ["--confirm", "0.3"])
            #expect(unconfirmed.status == 1)
            #expect(unconfirmed.stderr.contains("reconcile will not apply this policy again"), "\(unconfirmed.stderr)")
            #expect(try lab.ruleset() == before)

            let plan = try lab.run("plan")
            #expect(plan.status == 2)
            #expect(plan.stderr.contains("rolled this policy back"), "\(plan.stderr)")

            let refused = try lab.run("reconcile", ["--metrics-file", lab.metricsFile])
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(refused.stderr.contains("was rolled back by `migfw apply --confirm`"), "\(refused.stderr)")
            #expect(try lab.ruleset() == before)
            #expect(try String(contentsOfFile: lab.metricsFile, encoding: .utf8).contains("migfw_last_error{reason=\"the policy in"))

            // A changed policy is another one: reconcile applies it.
            try lab.writePolicy(extraTrusted: ["10.60.0.0/16"])
            #expect(try lab.run("reconcile").status == 2)
            #expect(try lab.nft("list", "set", "inet", "migfw", "trusted4").contains("10.60.0.0/16"))
        }
    }

    @Test func deliberateApplyClearsTheRecord() throws {
        try withPlanLab(tag: "rbk2") { lab in
            #expect(try lab.run("apply").status == 0)
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            #expect(try lab.run("apply", ["--confirm", "0.3"]).status == 1)
            #expect(try lab.run("reconcile").status == 1)
            let deliberate = try lab.run("apply")
            #expect(deliberate.status == 0, "\(deliberate.stderr)")
            #expect(try lab.nft("list", "set", "inet", "migfw", "trusted4").contains("10.50.0.0/16"))
            #expect(try lab.run("reconcile").status == 0)
            #expect(!(try lab.run("plan").stderr.contains("rolled")))
        }
    }
}
