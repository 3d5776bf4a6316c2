import Foundation
import Testing
import TestSupport

/// The distribution's nftables.service runs `nft flush ruleset` on stop and (through
/// /etc/nftables.conf) on start and reload, which removes table inet migfw too. The units
/// re-apply (migfw.service is PartOf= and ReloadPropagatedFrom= nftables.service and runs
/// `migfw apply`; migfw-reconcile.timer runs `migfw reconcile` every minute); these tests
/// show that the commands those units run bring the table back after a flush.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct FlushRulesetRecoveryTests {
    /// What `systemctl reload nftables` loads: a config that starts with `flush ruleset`.
    static let distributionConfig = """
        flush ruleset
        table inet filter {
          chain input { type filter hook input priority filter; policy accept; }
        }

        """

    func flushLikeNftablesService(_ lab: PlanLab) throws {
        try lab.namespace.exec(["nft", "-f", "-"], input: Self.distributionConfig)
        let after = try lab.ruleset()
        #expect(!after.contains("table inet migfw"), "the flush left migfw's table: \(after)")
        #expect(after.contains("table inet filter"))
    }

    @Test func reconcileRestoresTheTableAfterAFlush() throws {
        try withPlanLab(tag: "flushrec") { lab in
            #expect(try lab.run("apply").status == 0)
            let applied = try lab.nft("list", "table", "inet", "migfw")
            try flushLikeNftablesService(lab)
            #expect(try lab.run("plan").status == 2)
            // migfw-reconcile.service's command: exit 2 = drift found and repaired.
            let repair = try lab.run("reconcile")
            #expect(repair.status == 2, "\(repair.stdout)\(repair.stderr)")
            #expect(try lab.nft("list", "table", "inet", "migfw") == applied)
            #expect(try lab.run("plan").status == 0)
            // The distribution's own table is left as its config made it.
            #expect(try lab.nft("list", "table", "inet", "filter").contains("policy accept"))
        }
    }

    @Test func applyRestoresTheTableAfterAFlush() throws {
        try withPlanLab(tag: "flushapp") { lab in
            #expect(try lab.run("apply").status == 0)
            let applied = try lab.nft("list", "table", "inet", "migfw")
            // A bare `nft flush ruleset` (nftables.service's ExecStop).
            try lab.nft("flush", "ruleset")
            #expect(try lab.ruleset().isEmpty)
            // migfw.service's ExecStart/ExecReload, which PartOf=/ReloadPropagatedFrom= run.
            let reapply = try lab.run("apply")
            #expect(reapply.status == 0, "\(reapply.stdout)\(reapply.stderr)")
            #expect(try lab.nft("list", "table", "inet", "migfw") == applied)
            #expect(try lab.run("plan").status == 0)
        }
    }
}
