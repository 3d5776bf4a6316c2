import Engine
import Foundation
import Policy
import Prefix
import Ruleset
import Testing
import TestSupport

/// Compare-and-swap, locking, fail-closed and confirm evidence for plan-based apply and
/// reconcile.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct ReconcileSafetyTests {
    @Test func changeBetweenPlanAndCommitIsCaughtAndRetried() throws {
        try withPlanLab(tag: "cas") { lab in
            #expect(try lab.run("apply").status == 0)
            try lab.nft("add", "table", "inet", "other")
            try lab.nft("add", "set", "inet", "other", "s", "{ type ipv4_addr; }")
            // The policy gains a prefix: an element-only plan.
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            let desired = RulesetCompiler.compile(try PolicyLoader.load(path: lab.policyPath))
            let applier = try Applier(namespace: lab.namespace.name, stateDirectory: lab.stateDirectory)
            var hookCalls: [Int] = []
            applier.beforeCommit = { attempt in
                hookCalls.append(attempt)
                guard attempt == 1 else { return }
                // Between snapshot and commit: a rogue element in migfw's set and a change to
                // someone else's table.
                try lab.nft("add", "element", "inet", "migfw", "trusted4", "{ 10.77.0.1 }")
                try lab.nft("add", "element", "inet", "other", "s", "{ 10.1.1.1 }")
            }
            let result = try applier.apply(desired)
            #expect(result.committed)
            #expect(result.attempts == 2)
            #expect(hookCalls == [1, 2])
            // The retry re-planned: the rogue element is gone, the new prefix is in.
            let trusted4 = try lab.nft("list", "set", "inet", "migfw", "trusted4")
            #expect(trusted4.contains("10.50.0.0/16"))
            #expect(!trusted4.contains("10.77.0.1"))
            // The foreign table kept its change.
            #expect(try lab.nft("list", "set", "inet", "other", "s").contains("10.1.1.1"))
            #expect(try lab.run("plan").status == 0)
        }
    }

    @Test func keepsChangingFailsClearlyAndAppliesNothing() throws {
        try withPlanLab(tag: "cas5") { lab in
            #expect(try lab.run("apply").status == 0)
            try lab.nft("add", "table", "inet", "other")
            let before = try lab.nft("list", "table", "inet", "migfw")
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            let desired = RulesetCompiler.compile(try PolicyLoader.load(path: lab.policyPath))
            let applier = try Applier(namespace: lab.namespace.name, stateDirectory: lab.stateDirectory)
            var counter = 0
            applier.beforeCommit = { _ in
                counter += 1
                try lab.nft("add", "chain", "inet", "other", "c\(counter)")
            }
            #expect(throws: EngineError.keptChanging(attempts: 5)) { try applier.apply(desired) }
            #expect(counter == 5)
            // Only the foreign chains were added; migfw's table is as before.
            #expect(try lab.nft("list", "table", "inet", "migfw") == before)
            #expect(try lab.nft("list", "table", "inet", "other").contains("chain c5"))
        }
    }

    @Test func twoReconcilesStartedTogetherNeverInterleave() throws {
        try withPlanLab(tag: "lock") { lab in
            #expect(try lab.run("apply").status == 0)
            try lab.nft("add", "element", "inet", "migfw", "trusted4", "{ 10.66.0.7 }")
            // Both runs start while the test holds the lock, so both wait, then take it one
            // after the other. Interleaved, both would plan the repair and both log the drift.
            var held: RunLock? = try RunLock.acquire(path: lab.lockFile, timeout: 0)
            nonisolated(unsafe) var results: [CommandResult?] = [nil, nil]
            let group = DispatchGroup()
            for index in 0..<2 {
                DispatchQueue.global().async(group: group) {
                    results[index] = try? lab.run("reconcile", ["--lock-timeout", "30"])
                }
            }
            Thread.sleep(forTimeInterval: 1)
            withExtendedLifetime(held) {}
            held = nil
            group.wait()
            let statuses = results.compactMap { $0?.status }.sorted()
            #expect(statuses == [0, 2])   // one repaired; the other waited, then found nothing to do
            let logs = results.compactMap { $0?.stderr }
            #expect(logs.filter { $0.contains("drift") }.count == 1, "\(logs)")
            #expect(try lab.run("plan").status == 0)
        }
    }

    @Test func lockHeldTooLongExitsOneAndTouchesNothing() throws {
        try withPlanLab(tag: "lockt") { lab in
            #expect(try lab.run("apply").status == 0)
            try lab.nft("add", "element", "inet", "migfw", "trusted4", "{ 10.66.0.7 }")
            let before = try lab.ruleset()
            let held = try RunLock.acquire(path: lab.lockFile, timeout: 0)
            let result = try lab.run("reconcile", ["--lock-timeout", "0.5", "--metrics-file", lab.metricsFile])
            withExtendedLifetime(held) {}
            #expect(result.status == 1)
            #expect(result.stderr.contains("another migfw run holds \(lab.lockFile)"))
            #expect(try lab.ruleset() == before)
            let metrics = try String(contentsOfFile: lab.metricsFile, encoding: .utf8)
            #expect(metrics.contains("migfw_last_error{reason=\"another migfw run holds"))
        }
    }

    @Test func invalidPolicyLeavesTheKernelByteIdentical() throws {
        try withPlanLab(tag: "inval") { lab in
            #expect(try lab.run("apply").status == 0)
            try lab.nft("add", "table", "ip", "foreign")
            try lab.nft("add", "element", "inet", "migfw", "trusted4", "{ 10.66.0.7 }")  // drift to repair, if it ran
            let before = try lab.ruleset()
            // The seed article's mistake: host bits set.
            try lab.writePolicy(networks: ["192.168.1.0/16"])
            for command in ["plan", "reconcile"] {
                let result = try lab.run(command, command == "reconcile" ? ["--metrics-file", lab.metricsFile] : [])
                #expect(result.status == 1, "\(command): \(result.stderr)")
                #expect(result.stderr.contains("192.168.1.0/16"))
                #expect(try lab.ruleset() == before)
            }
            #expect(try lab.run("apply").status == 2)
            #expect(try lab.ruleset() == before)
            try "version: 1\ninterface: mig0\nbogus: [\n".write(toFile: lab.policyPath, atomically: true, encoding: .utf8)
            #expect(try lab.run("reconcile").status == 1)
            #expect(try lab.ruleset() == before)
            let metrics = try String(contentsOfFile: lab.metricsFile, encoding: .utf8)
            #expect(metrics.contains("migfw_last_error{reason=\"invalid policy"))
            #expect(!metrics.contains("migfw_in_sync"))
        }
    }

    @Test func fastPathSkipsTheDumpUntilSomethingChanges() throws {
        try withPlanLab(tag: "fast") { lab in
            #expect(try lab.run("apply").status == 0)
            // The first apply creates the table whole and records what it committed: the
            // first reconcile is already fast.
            var result = try lab.run("reconcile", ["--metrics-file", lab.metricsFile])
            #expect(result.status == 0 && result.stderr.isEmpty && result.stdout.isEmpty)
            #expect(try String(contentsOfFile: lab.metricsFile, encoding: .utf8).contains("migfw_fast_path 1"))
            // Any commit, even to another table, moves the generation id: full check.
            try lab.nft("add", "table", "inet", "other")
            result = try lab.run("reconcile", ["--metrics-file", lab.metricsFile])
            #expect(result.status == 0)
            var metrics = try String(contentsOfFile: lab.metricsFile, encoding: .utf8)
            #expect(metrics.contains("migfw_fast_path 0") && metrics.contains("migfw_in_sync 1"))
            // The full check recorded the new generation: fast again.
            result = try lab.run("reconcile", ["--metrics-file", lab.metricsFile])
            metrics = try String(contentsOfFile: lab.metricsFile, encoding: .utf8)
            #expect(metrics.contains("migfw_fast_path 1"))
            // A changed policy is never answered by the fast path.
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            result = try lab.run("reconcile", ["--metrics-file", lab.metricsFile])
            #expect(result.status == 2)
            metrics = try String(contentsOfFile: lab.metricsFile, encoding: .utf8)
            #expect(metrics.contains("migfw_fast_path 0") && metrics.contains("migfw_drift_changes 1"))
            #expect(metrics.contains("migfw_trusted_prefixes{family=\"ipv4\"} 10"))
            // A plan-based commit records what it left: the next run is fast at once.
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16", "10.60.0.0/16"])
            #expect(try lab.run("apply").stdout.contains("1 element added"))
            #expect(try lab.run("reconcile", ["--metrics-file", lab.metricsFile]).status == 0)
            metrics = try String(contentsOfFile: lab.metricsFile, encoding: .utf8)
            #expect(metrics.contains("migfw_fast_path 1"))
        }
    }

    @Test func unconfirmedApplyRollsBack() throws {
        try withPlanLab(tag: "conf") { lab in
            // No table before: rollback deletes it.
            var result = try lab.run("apply", ["--confirm", "1"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("not confirmed"))
            #expect(try lab.ruleset().isEmpty)
            // A previous ruleset: rollback restores it exactly.
            #expect(try lab.run("apply").status == 0)
            let before = try lab.ruleset()
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            result = try lab.run("apply", ["--confirm", "1"])
            #expect(result.status == 1)
            #expect(try lab.ruleset() == before)
            #expect(try lab.run("confirm").status == 1)   // nothing waiting any more
        }
    }

    @Test func confirmedApplyKeepsTheRuleset() throws {
        try withPlanLab(tag: "confok") { lab in
            #expect(try lab.run("apply").status == 0)
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            nonisolated(unsafe) var applyResult: CommandResult?
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                applyResult = try? lab.run("apply", ["--confirm", "20"])
                done.signal()
            }
            // Confirm as soon as the apply waits.
            var confirmed: CommandResult?
            for _ in 0..<100 {
                Thread.sleep(forTimeInterval: 0.1)
                let attempt = try lab.run("confirm")
                if attempt.status == 0 { confirmed = attempt; break }
            }
            done.wait()
            #expect(confirmed != nil)
            #expect(applyResult?.status == 0)
            #expect(applyResult?.stdout.contains("confirmed: keeping the new ruleset") == true)
            #expect(try lab.nft("list", "set", "inet", "migfw", "trusted4").contains("10.50.0.0/16"))
        }
    }

    @Test func wrongStateFileIsDroppedAndTheApplyStillCorrect() throws {
        try withPlanLab(tag: "badst") { lab in
            #expect(try lab.run("apply").status == 0)
            #expect(try lab.run("reconcile").status == 0)   // a full check records the state
            // Corrupt the record while keeping its generation id: it claims trusted4 holds
            // 10.99.0.1 (the kernel does not) and lacks 192.168.20.11 (the kernel has it).
            let path = ApplyState.path(directory: lab.stateDirectory, namespace: lab.namespace.name)
            var state = try #require(ApplyState.load(path: path))
            let index = try #require(state.sets.firstIndex { $0.name == NamedSet.trusted4 })
            state.sets[index].elements = .ipv4([CIDR(host: IPv4Address(10, 99, 0, 1)).range])
            try state.save(path: path)
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            let result = try lab.run("apply")
            #expect(result.status == 0, "\(result.stderr)")
            let trusted4 = try lab.nft("list", "set", "inet", "migfw", "trusted4")
            #expect(trusted4.contains("10.50.0.0/16") && trusted4.contains("192.168.20.11"))
            #expect(try lab.run("plan").status == 0)
            #expect(try lab.run("reconcile", ["--full"]).status == 0)
        }
    }

    @Test func statusStillMatchesAfterAnElementOnlyApply() throws {
        try withPlanLab(tag: "stat") { lab in
            // The default state directory (status has no option for it): the test runner's.
            let name = lab.namespace.name
            defer { ApplyState.forget(path: ApplyState.path(directory: migfwTestStateDirectory, namespace: name)) }
            let apply = { try migfw(["apply", "-c", lab.policyPath, "--netns", name, "--lock-file", lab.lockFile]) }
            #expect(try apply().status == 0)
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            #expect(try apply().stdout.contains("1 element added"))
            #expect(try migfw(["status", "--netns", name]).stdout.contains("(matches the table's content)"))
            try lab.nft("add", "element", "inet", "migfw", "trusted4", "{ 10.66.0.7 }")
            #expect(try migfw(["status", "--netns", name]).stdout.contains("DOES NOT MATCH"))
        }
    }
}
