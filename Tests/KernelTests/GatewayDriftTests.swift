import Engine
import Foundation
import Policy
import Ruleset
import Testing
import TestSupport

/// The drift scenarios of the plan/reconcile tests, repeated for gateway mode: the forward
/// chain of `table inet migfw` (routed) and `table bridge migfw` (bridged). After a clean
/// apply something changes the kernel behind migfw's back; `plan` exits 2 and shows it,
/// `reconcile` repairs it, and the ruleset is byte-identical to the one apply left.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct GatewayDriftTests {
    static let paths = ["routed", "bridge"]

    static func family(_ via: String) -> String { via == "bridge" ? "bridge" : "inet" }

    @discardableResult
    func scenario(_ via: String, _ tag: String, drift: (PlanLab, String) throws -> Void, expected: [String],
                  expectedMetrics: [String] = []) throws -> String {
        try withPlanLab(tag: tag) { lab in
            let family = Self.family(via)
            try lab.writeGatewayPolicy(via: via)
            let applied = try lab.run("apply")
            try #require(applied.status == 0, "\(applied.stderr)")
            #expect(applied.stdout.contains("created table \(family) migfw"))
            let clean = try lab.ruleset()
            #expect(try lab.run("plan").status == 0)

            try drift(lab, family)
            #expect(try lab.ruleset() != clean)
            let plan = try lab.run("plan")
            #expect(plan.status == 2, "\(plan.stdout)\(plan.stderr)")
            for line in expected { #expect(plan.stdout.contains(line), "missing \(line) in:\n\(plan.stdout)") }

            let repair = try lab.run("reconcile", ["--metrics-file", lab.metricsFile])
            #expect(repair.status == 2, "\(repair.stderr)")
            #expect(repair.stderr.contains("drift"))
            let metrics = try String(contentsOfFile: lab.metricsFile, encoding: .utf8)
            #expect(metrics.contains("migfw_in_sync 0") && !metrics.contains("migfw_drift_changes 0"), "\(metrics)")
            for line in expectedMetrics { #expect(metrics.contains(line + "\n"), "missing \(line) in:\n\(metrics)") }
            let after = try lab.run("plan")
            #expect(after.stdout == "No changes: table \(family) migfw matches the policy.\n")
            // A re-created chain (a policy cannot change in place) is listed after the others.
            #expect(Self.chainsInAnyOrder(try lab.ruleset()) == Self.chainsInAnyOrder(clean))
            return repair.stderr
        }
    }

    @Test(arguments: paths) func rogueTrustedElementIsAnIntrusion(via: String) throws {
        let log = try scenario(via, "gwrogue", drift: { try $0.nft("add", "element", $1, "migfw", "trusted4", "{ 10.66.0.7 }") },
                               expected: ["~ set trusted4: 1 element to remove", "possible intrusion"],
                               expectedMetrics: ["migfw_unexpected_trusted_ranges 1", "migfw_unprotected_ranges 0"])
        #expect(log.contains("possible intrusion: set trusted4 trusted addresses the policy does not: 10.66.0.7/32"))
    }

    @Test(arguments: paths) func protectedElementRemovedIsAnIntrusion(via: String) throws {
        // Its migration ports were open to everyone until reconcile put it back.
        let log = try scenario(via, "gwprot", drift: { try $0.nft("delete", "element", $1, "migfw", "protected4", "{ 10.20.0.10 }") },
                               expected: ["~ set protected4: 1 element to add", "    + 10.20.0.10/32",
                                          "! set protected4 no longer protects 1 address range(s) the policy protects"],
                               expectedMetrics: ["migfw_unprotected_ranges 1", "migfw_unexpected_trusted_ranges 0"])
        #expect(log.contains("SECURITY"))
        #expect(log.contains("possible intrusion: set protected4 no longer protected addresses the policy protects"))
        #expect(log.contains("10.20.0.10/32"))
    }

    /// A protected host the policy adds is news, not tampering: not flagged.
    @Test(arguments: paths) func newlyProtectedHostIsNotAnIntrusion(via: String) throws {
        try withPlanLab(tag: "gwnew") { lab in
            try lab.writeGatewayPolicy(via: via)
            try #require(try lab.run("apply").status == 0)
            let text = try String(contentsOfFile: lab.policyPath, encoding: .utf8)
                .replacingOccurrences(of: "hosts: [10.20.0.10, ", with: "hosts: [10.20.0.10, 10.20.0.11, ")
            try text.write(toFile: lab.policyPath, atomically: true, encoding: .utf8)
            let plan = try lab.run("plan", ["--json"])
            #expect(plan.status == 2)
            let document = try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any]
            #expect((document?["unprotected_addresses"] as? [Any])?.isEmpty == true, "\(plan.stdout)")
            let repair = try lab.run("reconcile")
            #expect(repair.status == 2)
            #expect(!repair.stderr.contains("SECURITY"), "\(repair.stderr)")
        }
    }

    @Test(arguments: paths) func extraProtectedElementIsDriftNotIntrusion(via: String) throws {
        let log = try scenario(via, "gwxprot", drift: { try $0.nft("add", "element", $1, "migfw", "protected6", "{ fd00:20::99 }") },
                               expected: ["~ set protected6: 1 element to remove", "    - fd00:20::99/128"])
        #expect(!log.contains("possible intrusion"))
    }

    /// A ruleset listing's set and chain blocks, sorted: equal for the same sets and chains
    /// in another order.
    static func chainsInAnyOrder(_ listing: String) -> [String] {
        var blocks: [String] = [], current = ""
        // Blank lines and the table's closing brace belong to no chain in particular.
        for line in listing.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).isEmpty && line != "}" {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("chain ") || trimmed.hasPrefix("set ") || line.hasPrefix("table ") {
                blocks.append(current)
                current = ""
            }
            current += line + "\n"
        }
        return (blocks + [current]).sorted()
    }

    @Test(arguments: paths) func forwardChainFlushed(via: String) throws {
        // bridge: 5 drops of tags it cannot read through, no protected_side in this policy;
        // routed: 1 ct rule and the rules of its interface toward the hosts (5 in, 3 out).
        let rules = via == "bridge" ? 15 : 19
        try scenario(via, "gwflush", drift: { try $0.nft("flush", "chain", $1, "migfw", "forward") },
                     expected: ["~ chain forward: rules replaced (0 -> \(rules))",
                                "    + ip daddr @protected4 ip saddr @trusted4 tcp dport @tcp_ports counter accept"])
    }

    @Test(arguments: paths) func forwardDropRuleDeleted(via: String) throws {
        try scenario(via, "gwrule", drift: { lab, family in
            let listing = try lab.nft("-a", "list", "chain", family, "migfw", "forward")
            let handle = try #require(listing.split(separator: "\n").first { $0.contains("ip daddr @protected4 tcp dport") && $0.contains("drop") }?
                .components(separatedBy: "# handle ").last?.trimmingCharacters(in: .whitespaces))
            try lab.nft("delete", "rule", family, "migfw", "forward", "handle", handle)
        }, expected: ["~ chain forward: rules replaced", "    + ip daddr @protected4 tcp dport @tcp_ports counter drop"])
    }

    @Test(arguments: paths) func forwardPolicyChanged(via: String) throws {
        let priority = via == "bridge" ? "-200" : "0"
        try scenario(via, "gwpol", drift: { lab, family in
            try lab.nft("add", "chain", family, "migfw", "forward", "{ type filter hook forward priority \(priority); policy drop; }")
        }, expected: ["~ chain forward: policy drop -> accept"])
    }

    @Test(arguments: paths) func tableDeleted(via: String) throws {
        try scenario(via, "gwtbl", drift: { try $0.nft("delete", "table", $1, "migfw") },
                     expected: ["+ table \(Self.family(via)) migfw", "Plan: table to create"])
    }

    /// `apply --confirm` on a gateway table: confirmed, the new elements stay.
    @Test(arguments: paths) func confirmedGatewayApplyKeepsTheRuleset(via: String) throws {
        try withPlanLab(tag: "gwconf") { lab in
            try lab.writeGatewayPolicy(via: via)
            try #require(try lab.run("apply").status == 0)
            try lab.writeGatewayPolicy(via: via, extraTrusted: ["10.50.0.0/16"])
            nonisolated(unsafe) var applyResult: CommandResult?
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                applyResult = try? lab.run("apply", ["--confirm", "20"])
                done.signal()
            }
            var confirmed = false
            for _ in 0..<100 where !confirmed {
                Thread.sleep(forTimeInterval: 0.1)
                confirmed = try lab.run("confirm").status == 0
            }
            done.wait()
            #expect(confirmed)
            #expect(applyResult?.status == 0)
            #expect(applyResult?.stdout.contains("confirmed: keeping the new ruleset") == true)
            #expect(try lab.nft("list", "set", Self.family(via), "migfw", "trusted4").contains("10.50.0.0/16"))
        }
    }

    /// Other tables of the same families, including another `bridge` table with a forward
    /// chain, are byte-identical after apply, a mode change, reconcile and delete.
    @Test func otherTablesAreNeverTouched() throws {
        try withPlanLab(tag: "gwforeign") { lab in
            try lab.nft("add", "table", "bridge", "filter")
            try lab.nft("add", "chain", "bridge", "filter", "forward", "{ type filter hook forward priority 0; policy accept; }")
            try lab.nft("add", "rule", "bridge", "filter", "forward", "ether type arp counter accept")
            try lab.nft("add", "table", "inet", "fw")
            try lab.nft("add", "chain", "inet", "fw", "forward", "{ type filter hook forward priority 10; policy accept; }")
            try lab.nft("add", "rule", "inet", "fw", "forward", "tcp dport 6600 counter")
            let foreign = { () throws -> String in
                try lab.nft("list", "table", "bridge", "filter") + lab.nft("list", "table", "inet", "fw")
            }
            let before = try foreign()
            try lab.writeGatewayPolicy(via: "bridge")
            #expect(try lab.run("apply").status == 0)
            try lab.nft("add", "element", "bridge", "migfw", "trusted4", "{ 10.66.0.1 }")
            #expect(try lab.run("reconcile").status == 2)
            try lab.writeGatewayPolicy(via: "routed")
            #expect(try lab.run("apply").status == 0)
            #expect(try migfw(["delete", "--netns", lab.namespace.name, "--lock-file", lab.lockFile]).status == 0)
            #expect(try foreign() == before)
        }
    }

    /// Compare-and-swap on the gateway table: a change between snapshot and commit is caught
    /// by the generation id, and the retry re-plans (the rogue element is gone).
    @Test(arguments: paths) func changeBetweenPlanAndCommitIsCaughtAndRetried(via: String) throws {
        try withPlanLab(tag: "gwcas") { lab in
            let family = Self.family(via)
            try lab.writeGatewayPolicy(via: via)
            try #require(try lab.run("apply").status == 0)
            try lab.writeGatewayPolicy(via: via, extraTrusted: ["10.50.0.0/16"])
            let desired = RulesetCompiler.compile(try PolicyLoader.load(path: lab.policyPath))
            let applier = try Applier(namespace: lab.namespace.name, stateDirectory: lab.stateDirectory,
                                             family: desired.family)
            var calls: [Int] = []
            applier.beforeCommit = { attempt in
                calls.append(attempt)
                if attempt == 1 { try lab.nft("add", "element", family, "migfw", "trusted4", "{ 10.77.0.1 }") }
            }
            let result = try applier.apply(desired)
            #expect(result.committed && result.attempts == 2 && calls == [1, 2])
            #expect(result.plan.isElementsOnly, "a prefix more is an element delta, not a rebuild")
            let trusted4 = try lab.nft("list", "set", family, "migfw", "trusted4")
            #expect(trusted4.contains("10.50.0.0/16"))
            #expect(!trusted4.contains("10.77.0.1"))
            #expect(try lab.run("plan").status == 0)
        }
    }

    /// Switching the policy between host mode, a routed and a bridged gateway replaces
    /// migfw's table of the old family in the same transaction; `status` and `delete`
    /// cover whichever is there.
    @Test func modeChangesRetireTheOtherTable() throws {
        try withPlanLab(tag: "gwmode") { lab in
            try #require(try lab.run("apply").status == 0)  // host mode: table inet migfw, chain input
            try lab.writeGatewayPolicy(via: "bridge")
            let plan = try lab.run("plan")
            #expect(plan.status == 2)
            #expect(plan.stdout.contains("- table inet migfw (the policy's mode now puts migfw's rules in table bridge migfw)"))
            #expect(plan.stdout.contains("+ table bridge migfw"))
            let toBridge = try lab.run("apply")
            #expect(toBridge.status == 0, "\(toBridge.stderr)")
            var tables = try lab.nft("list", "tables")
            #expect(tables.contains("table bridge migfw") && !tables.contains("table inet migfw"), "\(tables)")
            #expect(try migfw(["status", "--netns", lab.namespace.name]).stdout.contains("table bridge migfw: loaded"))

            try lab.writeGatewayPolicy(via: "routed")
            #expect(try lab.run("apply").status == 0)
            tables = try lab.nft("list", "tables")
            #expect(tables.contains("table inet migfw") && !tables.contains("table bridge migfw"), "\(tables)")
            #expect(try lab.nft("list", "table", "inet", "migfw").contains("hook forward"))
            #expect(try lab.run("plan").status == 0)

            // An unconfirmed mode change rolls back to the old family's table, in one piece.
            let routedRuleset = try lab.ruleset()
            try lab.writeGatewayPolicy(via: "bridge")
            let planJSON = try lab.run("plan", ["--json"])
            let document = try JSONSerialization.jsonObject(with: Data(planJSON.stdout.utf8)) as? [String: Any]
            #expect(document?["retired_tables"] as? [String] == ["inet"])
            let unconfirmed = try lab.run("apply", ["--confirm", "1"])
            #expect(unconfirmed.status == 1, "\(unconfirmed.stderr)")
            #expect(unconfirmed.stderr.contains("not confirmed"))
            #expect(try lab.ruleset().replacingOccurrences(of: #"packets \d+ bytes \d+"#, with: "", options: .regularExpression)
                    == routedRuleset.replacingOccurrences(of: #"packets \d+ bytes \d+"#, with: "", options: .regularExpression))
            try lab.writeGatewayPolicy(via: "routed")
            #expect(try lab.run("plan").status == 0)

            // Both tables at once (made by hand): status shows both, delete removes both.
            try lab.nft("add", "table", "bridge", "migfw")
            let status = try migfw(["status", "--netns", lab.namespace.name])
            #expect(status.stdout.contains("table inet migfw: loaded") && status.stdout.contains("table bridge migfw: loaded"))
            let deleted = try migfw(["delete", "--netns", lab.namespace.name, "--lock-file", lab.lockFile])
            #expect(deleted.stdout.contains("deleted table inet migfw") && deleted.stdout.contains("deleted table bridge migfw"))
            #expect(!(try lab.nft("list", "tables")).contains("migfw"))
        }
    }
}
