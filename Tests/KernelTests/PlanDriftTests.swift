import Foundation
import Testing
import TestSupport

/// Each drift scenario of issue 5: after a clean apply, something changes the kernel behind
/// migfw's back; `plan` exits 2 and shows it, `reconcile` repairs it (exit 2), `plan` then
/// exits 0 and the ruleset is byte-identical to the one apply left.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct PlanDriftTests {
    /// Applies, injects `drift` (nft arguments), checks plan shows every `expected` line,
    /// reconciles, checks the repair; returns reconcile's log (stderr).
    @discardableResult
    func scenario(_ tag: String, drift: (PlanLab) throws -> Void, expected: [String]) throws -> String {
        try withPlanLab(tag: tag) { lab in
            let applied = try lab.run("apply")
            #expect(applied.status == 0, "\(applied.stderr)")
            let clean = try lab.ruleset()
            #expect(try lab.run("plan").status == 0)

            try drift(lab)
            #expect(try lab.ruleset() != clean)
            let plan = try lab.run("plan")
            #expect(plan.status == 2, "\(plan.stdout)\(plan.stderr)")
            for line in expected { #expect(plan.stdout.contains(line), "missing \(line) in:\n\(plan.stdout)") }

            let repair = try lab.run("reconcile")
            #expect(repair.status == 2, "\(repair.stderr)")
            #expect(repair.stdout.isEmpty)
            #expect(repair.stderr.contains("drift"))
            let after = try lab.run("plan")
            #expect(after.status == 0, "\(after.stdout)")
            #expect(after.stdout == "No changes: table inet migfw matches the policy.\n")
            #expect(try lab.ruleset() == clean)
            return repair.stderr
        }
    }

    /// Deletes the first (or `last`) rule of migfw's `chain` whose listing line `matches`.
    static func deleteRule(_ lab: PlanLab, chain: String, last: Bool, _ matches: (Substring) -> Bool) throws {
        let lines = try lab.nft("-a", "list", "chain", "inet", "migfw", chain).split(separator: "\n")
        let line = try #require(last ? lines.last(where: matches) : lines.first(where: matches))
        let handle = try #require(line.components(separatedBy: "# handle ").last?.trimmingCharacters(in: .whitespaces))
        try lab.nft("delete", "rule", "inet", "migfw", chain, "handle", handle)
    }

    @Test func rogueElementInTrusted4() throws {
        let log = try scenario("rogue", drift: { try $0.nft("add", "element", "inet", "migfw", "trusted4", "{ 10.66.0.7 }") },
                               expected: ["~ set trusted4: 1 element to remove", "    - 10.66.0.7/32", "possible intrusion"])
        #expect(log.contains("SECURITY"))
        #expect(log.contains("possible intrusion: set trusted4 trusted addresses the policy does not: 10.66.0.7/32"))
    }

    @Test func jsonPlanOfDriftAndInSync() throws {
        try withPlanLab(tag: "json") { lab in
            #expect(try lab.run("apply").status == 0)
            var plan = try lab.run("plan", ["--json"])
            #expect(plan.status == 0)
            #expect(plan.stdout.contains("\"in_sync\":true"))
            try lab.nft("add", "element", "inet", "migfw", "trusted4", "{ 10.66.0.7 }")
            plan = try lab.run("plan", ["--json"])
            #expect(plan.status == 2)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])
            #expect(document["in_sync"] as? Bool == false)
            let sets = try #require(document["sets"] as? [[String: Any]])
            let removed = try #require(sets.first?["remove"] as? [[String: Any]])
            #expect(removed.first?["cidrs"] as? [String] == ["10.66.0.7/32"])
            let unexpected = try #require(document["unexpected_addresses"] as? [[String: Any]])
            #expect(unexpected.first?["set"] as? String == "trusted4")
        }
    }

    @Test func elementRemoved() throws {
        let log = try scenario("elrm", drift: { try $0.nft("delete", "element", "inet", "migfw", "trusted4", "{ 192.168.20.11 }") },
                               expected: ["~ set trusted4: 1 element to add", "    + 192.168.20.11/32"])
        #expect(!log.contains("SECURITY"))
        #expect(log.contains("restored missing element 192.168.20.11/32"))
    }

    @Test func trusted6Flushed() throws {
        try scenario("fl6", drift: { try $0.nft("flush", "set", "inet", "migfw", "trusted6") },
                     expected: ["~ set trusted6: 1 element to add", "    + 2001:db8:10::/64"])
    }

    @Test func migrationChainFlushed() throws {
        try scenario("flin", drift: { try $0.nft("flush", "chain", "inet", "migfw", "migration_in") },
                     expected: ["~ chain migration_in: rules replaced (0 -> 13)", "    + ip saddr @trusted4 tcp dport @tcp_ports counter accept"])
    }

    /// Flushing the base chain opens every door at once (the migration NIC's dispatch and the
    /// other NICs' drops): drift, repaired.
    @Test func inputChainFlushed() throws {
        try scenario("flbase", drift: { try $0.nft("flush", "chain", "inet", "migfw", "input") },
                     expected: ["~ chain input: rules replaced (0 -> 6)", "    + iifname \"mig0\" goto migration_in",
                                "    + tcp dport @tcp_migration_only counter drop"])
    }

    /// The other NICs' drop deleted (the management network's door reopened): drift, repaired.
    @Test func otherNICDropDeleted() throws {
        try scenario("othernic", drift: { lab in
            try Self.deleteRule(lab, chain: "input", last: true) { $0.contains("counter") && $0.contains("drop") }
        }, expected: ["~ chain input: rules replaced (5 -> 6)", "    + tcp dport @tcp_migration_only counter drop"])
    }

    /// The refused-source recorder is part of the ruleset: deleting it is drift, repaired.
    @Test func refusedRecorderDeleted() throws {
        try scenario("recorder", drift: { lab in
            try Self.deleteRule(lab, chain: "migration_in", last: false) { $0.contains("update @refused4") }
        }, expected: ["~ chain migration_in: rules replaced (12 -> 13)", "    + update @refused4 { ip saddr }"])
    }

    @Test func ruleDeleted() throws {
        try scenario("rule", drift: { lab in
            // The last rule is the final drop: its handle is the highest in the chain.
            try Self.deleteRule(lab, chain: "migration_in", last: true) { $0.contains("counter") && $0.contains("drop") }
        }, expected: ["~ chain migration_in: rules replaced (12 -> 13)", "    + counter drop"])
    }

    @Test func chainPolicyChanged() throws {
        try scenario("pol", drift: { lab in
            try lab.nft("add", "chain", "inet", "migfw", "input", "{ type filter hook input priority 0; policy drop; }")
        }, expected: ["~ chain input: policy drop -> accept", "Plan: 1 chain to change."])
    }

    @Test func tableDeleted() throws {
        try scenario("tbl", drift: { try $0.nft("delete", "table", "inet", "migfw") },
                     expected: ["+ table inet migfw", "Plan: table to create"])
    }
}
