import Foundation
import Testing
import TestSupport

/// After `apply --confirm` rolls a policy back, the policy file still says what was refused:
/// reconcile must not put it back (that would undo the rollback within a timer period), nor
/// anything else until a person applies deliberately (a prefix feed that changes meanwhile
/// would otherwise carry the refused change in).
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct RolledBackPolicyTests {
    @Test func reconcileChangesNothingAfterARollback() throws {
        try withPlanLab(tag: "rbk") { lab in
            #expect(try lab.run("apply").status == 0)
            let before = try lab.ruleset()
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            let unconfirmed = try lab.run("apply", ["--confirm", "0.3"])
            #expect(unconfirmed.status == 1)
            #expect(unconfirmed.stderr.contains("reconcile will change nothing until `migfw apply`"), "\(unconfirmed.stderr)")
            #expect(try lab.ruleset() == before)

            let plan = try lab.run("plan")
            #expect(plan.status == 2)
            #expect(plan.stderr.contains("rolled this policy back"), "\(plan.stderr)")

            let refused = try lab.run("reconcile", ["--metrics-file", lab.metricsFile])
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(refused.stderr.contains("rolled back a policy at"), "\(refused.stderr)")
            #expect(try lab.ruleset() == before)
            #expect(try String(contentsOfFile: lab.metricsFile, encoding: .utf8).contains("migfw_last_error{reason=\"`migfw apply --confirm` rolled back"))

            // A policy that changed meanwhile (a prefix feed refreshed) is not applied either.
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16", "10.60.0.0/16"])
            #expect(try lab.run("reconcile").status == 1)
            #expect(try lab.ruleset() == before)
            #expect(try lab.run("plan").stderr.contains("rolled a policy back"))

            // In sync (the policy the rollback restored): nothing to change, exit 0.
            try lab.writePolicy()
            #expect(try lab.run("reconcile").status == 0)

            // Drift is reported, a rogue address as an intrusion, but not repaired.
            try lab.nft("add", "element", "inet", "migfw", "trusted4", "{ 10.66.0.7 }")
            let held = try lab.run("reconcile")
            #expect(held.status == 1)
            #expect(held.stderr.contains("possible intrusion: set trusted4 trusted addresses the policy does not: 10.66.0.7/32"), "\(held.stderr)")
            #expect(held.stderr.contains("the drift above is not repaired"), "\(held.stderr)")
            #expect(try lab.nft("list", "set", "inet", "migfw", "trusted4").contains("10.66.0.7"))
            // It says what it would do, and that it is held: never that it did it (#20).
            #expect(held.stderr.contains("would remove them (held: not changed)"), "\(held.stderr)")
            #expect(held.stderr.contains("drift: set trusted4: would have removed unexpected element 10.66.0.7/32 (held: not changed)"),
                    "\(held.stderr)")
            #expect(!held.stderr.contains("; removed them"), "\(held.stderr)")
            try lab.nft("flush", "chain", "inet", "migfw", "migration_in")
            let flushed = try lab.run("reconcile")
            #expect(flushed.status == 1)
            #expect(flushed.stderr.contains("would replace them (held: not changed)"), "\(flushed.stderr)")
            #expect(!flushed.stderr.contains("replaced them"), "\(flushed.stderr)")
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
            try lab.writePolicy(extraTrusted: ["10.60.0.0/16"])
            #expect(!(try lab.run("plan").stderr.contains("rolled")))
            #expect(try lab.run("reconcile").status == 2)
        }
    }

    /// An `apply --confirm` that had nothing to send rolls nothing back and records nothing.
    @Test func unconfirmedNoOpLeavesNoRecord() throws {
        try withPlanLab(tag: "rbk3") { lab in
            #expect(try lab.run("apply").status == 0)
            #expect(try lab.run("apply", ["--confirm", "0.3"]).status == 1)
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            #expect(try lab.run("reconcile").status == 2)
        }
    }
}
