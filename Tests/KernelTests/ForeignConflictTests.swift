import Foundation
import Testing
import TestSupport

/// `migfw status` names the base chains of other tables that can drop what migfw accepts,
/// and only reads them.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct ForeignConflictTests {
    func status(_ lab: PlanLab, _ extra: [String] = []) throws -> CommandResult {
        let result = try migfw(["status", "--netns", lab.namespace.name, "--state-dir", lab.stateDirectory] + extra)
        #expect(result.status == 0, "\(result.stderr)")
        return result
    }

    @Test func aDropRuleOnAMigrationPortIsReportedWithTableAndChain() throws {
        try withPlanLab(tag: "conflict") { lab in
            #expect(try lab.run("apply").status == 0)
            try lab.namespace.exec(["nft", "-f", "-"], input: """
                table ip firewall {
                  chain inbound { type filter hook input priority 0; policy accept; tcp dport 49152 drop; }
                }
                table inet other {
                  chain pre { type filter hook prerouting priority -150; policy accept; tcp dport { 16000-16510 } reject; }
                }

                """)
            let before = try lab.ruleset()
            let text = try status(lab).stdout
            #expect(text.contains("  ! table ip firewall chain inbound (hook input, priority 0): rule `tcp dport 49152 drop` drops TCP dport 49152 (migration port)\n"), "\(text)")
            // nft turns the one-range set into two comparisons; the reject counts as a drop.
            #expect(text.contains("  ! table inet other chain pre (hook prerouting, priority -150): rule "), "\(text)")
            #expect(text.contains("drops TCP dport 16509 (migration port)\n"), "\(text)")
            #expect(text.components(separatedBy: "  ! table").count - 1 == 2, "\(text)")
            let json = try status(lab, ["--json"]).stdout
            #expect(json.contains("\"conflicts\":[{\"family\":\"ip\",\"table\":\"firewall\",\"chain\":\"inbound\",\"hook\":\"input\""), "\(json)")
            // Read-only: every table is as it was.
            #expect(try lab.ruleset() == before)
        }
    }

    @Test func aDropPolicyOnTheInputHookIsReported() throws {
        try withPlanLab(tag: "confpol") { lab in
            #expect(try lab.run("apply").status == 0)
            try lab.nft("add", "table", "inet", "filter")
            try lab.nft("add", "chain", "inet", "filter", "input", "{ type filter hook input priority 0; policy drop; }")
            let text = try status(lab).stdout
            #expect(text.contains("! table inet filter chain input (hook input, priority 0): policy drop"), "\(text)")
        }
    }

    @Test func harmlessTablesAreNotReported() throws {
        try withPlanLab(tag: "confnone") { lab in
            #expect(try lab.run("apply").status == 0)
            // Drops elsewhere: another port, another interface, the forward hook, a dormant
            // table, a conditional drop without a port, output drops on another source port
            // and a well-known peer port (an output drop policy would drop the replies, #20).
            try lab.namespace.exec(["nft", "-f", "-"], input: """
                table ip quiet {
                  chain inbound {
                    type filter hook input priority 0; policy accept;
                    tcp dport 8080 drop
                    iifname "eth9" tcp dport 49152 drop
                    ct state invalid drop
                    tcp dport != 49152-49215 tcp dport 1-1000 drop
                  }
                  chain forwarding { type filter hook forward priority 0; policy drop; }
                  chain outgoing { type filter hook output priority 0; policy accept; tcp sport 8080 drop; tcp dport 443 drop; }
                }
                table inet asleep {
                  flags dormant
                  chain inbound { type filter hook input priority 0; policy drop; }
                }

                """)
            let text = try status(lab).stdout
            #expect(text.contains("other tables: none can drop what migfw accepts"), "\(text)")
            #expect(!text.contains("! table"), "\(text)")
        }
    }
}
