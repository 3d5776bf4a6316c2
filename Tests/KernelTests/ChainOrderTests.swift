import Engine
import Policy
import Ruleset
import Foundation
import Testing
import TestSupport

/// A chain the plan deletes and re-creates is listed last by the kernel. Every
/// verification compares chains by name (rule order within a chain still matters), so
/// nothing that follows fails falsely (issue #15, class 5).
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct ChainOrderTests {
    /// The lab's policy with egress rules (an output chain) and `extra` trusted networks.
    static func writePolicy(_ lab: PlanLab, extra: [String] = []) throws {
        let networks = (["192.168.10.0/24", "\"2001:db8:10::/64\""] + extra).joined(separator: ", ")
        try """
            version: 1
            interface: mig0
            profile: libvirt
            dedicated: true
            egress: true
            trusted:
              networks: [\(networks)]
              hosts: [192.168.20.11]
            exclude: [192.168.10.1]

            """.write(toFile: lab.policyPath, atomically: true, encoding: .utf8)
    }

    /// The chains' order in `nft list table`.
    static func chainOrder(_ lab: PlanLab) throws -> [String] {
        try lab.nft("list", "table", "inet", "migfw").split(separator: "\n")
            .compactMap { line in line.trimmingCharacters(in: .whitespaces).hasPrefix("chain ")
                ? String(line.trimmingCharacters(in: .whitespaces).split(separator: " ")[1]) : nil }
    }

    @Test func recreatedChainDoesNotFailLaterApplies() throws {
        try withPlanLab(tag: "corder") { lab in
            try Self.writePolicy(lab)
            #expect(try lab.run("apply").status == 0)
            #expect(try Self.chainOrder(lab) == ["migration_in", "migration_out", "input", "output"])
            // Drift in the input chain's policy: the repair re-creates the chain (a policy
            // cannot change in place), and the kernel then lists it after output.
            try lab.nft("add", "chain", "inet", "migfw", "input", "{ type filter hook input priority filter; policy drop; }")
            let changed = try lab.run("apply")
            #expect(changed.status == 0, "\(changed.stderr)")
            #expect(try Self.chainOrder(lab) == ["migration_in", "migration_out", "output", "input"], "the test needs a re-created chain")
            // Element-only applies after it: committed and verified, exit 0.
            try Self.writePolicy(lab, extra: ["10.50.0.0/16"])
            let elements = try lab.run("apply")
            #expect(elements.status == 0, "\(elements.stdout)\(elements.stderr)")
            #expect(!elements.stderr.contains("does not hold the planned ruleset"))
            // --confirm, confirmed from another process: kept, no rollback, no hold.
            try Self.writePolicy(lab, extra: ["10.60.0.0/16"])
            let (process, errors) = try ReconcileSafetyConfirmTests.startApply(lab, seconds: 20)
            #expect(ReconcileSafetyConfirmTests.waitForPending(lab))
            var confirmed = false
            for _ in 0..<100 where !confirmed {
                confirmed = try lab.run("confirm").status == 0
                if !confirmed { Thread.sleep(forTimeInterval: 0.1) }
            }
            process.waitUntilExit()
            let stderr = String(decoding: readToEnd(errors.fileHandleForReading), as: UTF8.self)
            #expect(confirmed)
            #expect(process.terminationStatus == 0, "\(stderr)")
            #expect(try lab.nft("list", "set", "inet", "migfw", "trusted4").contains("10.60.0.0/16"))
            #expect(RolledBackPolicy.current(directory: lab.stateDirectory, namespace: lab.namespace.name) == nil)
            // reconcile: in sync; a rogue element is removed, not just logged.
            #expect(try lab.run("reconcile").status == 0)
            try lab.nft("add", "element", "inet", "migfw", "trusted4", "{ 6.6.6.6 }")
            let repaired = try lab.run("reconcile")
            #expect(repaired.status == 2, "\(repaired.stderr)")
            #expect(!(try lab.nft("list", "set", "inet", "migfw", "trusted4")).contains("6.6.6.6"))
            #expect(try lab.run("reconcile").status == 0)
        }
    }

    /// The verifier and the digest give the same answer for a table whatever the order of
    /// its sets and chains, and still see a change of rule order.
    @Test func verificationAndDigestIgnoreOnlyChainAndSetOrder() throws {
        try withPlanLab(tag: "corder2") { lab in
            let desired = RulesetCompiler.compile(try PolicyLoader.load(path: lab.policyPath))
            var shuffled = desired
            shuffled.chains.reverse()
            shuffled.sets.reverse()
            #expect(Verifier.difference(expected: desired, actual: shuffled) == nil)
            #expect(RulesetDigest.digest(desired) == RulesetDigest.digest(shuffled))
            #expect(desired.sameContent(as: shuffled))
            var reordered = desired
            let index = try #require(reordered.chains.firstIndex { $0.rules.count > 2 })
            reordered.chains[index].rules.swapAt(0, 1)
            #expect(Verifier.difference(expected: desired, actual: reordered) != nil)
            #expect(RulesetDigest.digest(desired) != RulesetDigest.digest(reordered))
        }
    }
}
