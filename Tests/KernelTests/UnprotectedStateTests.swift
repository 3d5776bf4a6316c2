import Engine
import Foundation
import Glibc
import Testing
import TestSupport

/// States where the kernel matches the policy text but not its meaning are never reported as
/// "in sync" (issue #15, class 6), and the boot unit protects a host whose NIC comes later.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct UnprotectedStateTests {
    /// `migfw status` for `lab` (it takes no policy).
    static func status(_ lab: PlanLab, _ extra: [String] = []) throws -> CommandResult {
        try migfw(["status", "--netns", lab.namespace.name, "--state-dir", lab.stateDirectory] + extra)
    }

    /// An `apply --confirm` SIGKILLed while it waits leaves its ruleset unconfirmed: plan,
    /// reconcile and status say so (exit 1, a metric), until a deliberate apply settles it.
    @Test func killedConfirmIsReportedUntilSettled() throws {
        try withPlanLab(tag: "ukill") { lab in
            #expect(try lab.run("apply").status == 0)
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            let (process, _) = try ReconcileSafetyConfirmTests.startApply(lab, seconds: 30)
            #expect(ReconcileSafetyConfirmTests.waitForPending(lab))
            for _ in 0..<100 where !(try lab.nft("list", "set", "inet", "migfw", "trusted4")).contains("10.50.0.0/16") {
                Thread.sleep(forTimeInterval: 0.05)
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // The kernel matches the policy file: it used to be "in sync" everywhere.
            let plan = try lab.run("plan")
            #expect(plan.status == 1, "\(plan.stdout)\(plan.stderr)")
            #expect(plan.stderr.contains("ALERT") && plan.stderr.contains("never confirmed"))
            let reconcile = try lab.run("reconcile", ["--metrics-file", lab.metricsFile])
            #expect(reconcile.status == 1, "\(reconcile.stderr)")
            #expect(reconcile.stderr.contains("never confirmed"))
            let metrics = try String(contentsOfFile: lab.metricsFile, encoding: .utf8)
            #expect(metrics.contains("migfw_alert{kind=\"unconfirmed_apply\"} 1"), "\(metrics)")
            let status = try Self.status(lab)
            #expect(status.stdout.contains("ALERT: an `apply --confirm`"), "\(status.stdout)")
            #expect(try Self.status(lab, ["--json"]).stdout.contains("\"kind\":\"unconfirmed_apply\""))
            // A policy that cannot be read does not clear it: the alert needs no policy (the
            // review saw the metric go to 0 while the pending file stayed).
            let good = try String(contentsOfFile: lab.policyPath, encoding: .utf8)
            try "version: 1\ninterface: [\n".write(toFile: lab.policyPath, atomically: true, encoding: .utf8)
            #expect(try lab.run("reconcile", ["--metrics-file", lab.metricsFile]).status == 1)
            let unread = try String(contentsOfFile: lab.metricsFile, encoding: .utf8)
            #expect(unread.contains("migfw_alert{kind=\"unconfirmed_apply\"} 1"), "\(unread)")
            #expect(unread.contains("migfw_last_error{reason=\"") && unread.contains("invalid policy"), "\(unread)")
            try good.write(toFile: lab.policyPath, atomically: true, encoding: .utf8)
            // A deliberate apply settles it.
            let applied = try lab.run("apply")
            #expect(applied.status == 0)
            #expect(applied.stdout.contains("cleared the pending confirmation"), "\(applied.stdout)")
            #expect(try lab.run("plan").status == 0)
            #expect(try lab.run("reconcile", ["--metrics-file", lab.metricsFile]).status == 0)
            #expect(try String(contentsOfFile: lab.metricsFile, encoding: .utf8)
                .contains("migfw_alert{kind=\"unconfirmed_apply\"} 0"))
        }
    }

    /// A renamed migration NIC: the rules name a NIC that no longer exists and filter
    /// nothing. plan, reconcile and status report it until the name is back.
    @Test func renamedInterfaceIsReported() throws {
        try withPlanLab(tag: "uren") { lab in
            #expect(try lab.run("apply").status == 0)
            try lab.namespace.exec(["ip", "link", "set", "mig0", "name", "mig9"])
            let plan = try lab.run("plan")
            #expect(plan.status == 1, "\(plan.stdout)\(plan.stderr)")
            #expect(plan.stderr.contains("interface \"mig0\" does not exist"), "\(plan.stderr)")
            let reconcile = try lab.run("reconcile", ["--metrics-file", lab.metricsFile])
            #expect(reconcile.status == 1)
            #expect(try String(contentsOfFile: lab.metricsFile, encoding: .utf8)
                .contains("migfw_alert{kind=\"interface_missing\"} 1"))
            let status = try Self.status(lab)
            #expect(status.stdout.contains("ALERT: interface \"mig0\" does not exist"), "\(status.stdout)")
            try lab.namespace.exec(["ip", "link", "set", "mig9", "name", "mig0"])
            #expect(try lab.run("plan").status == 0)
            #expect(try lab.run("reconcile").status == 0)
            #expect(!(try Self.status(lab).stdout.contains("ALERT")))
        }
    }

    /// The boot unit's own command (from templates/systemd/migfw.service) in a namespace
    /// where the migration NIC does not exist yet: the rules are loaded, with a warning,
    /// instead of leaving the host open until the first reconcile. A plain apply still
    /// refuses (exit 2, nothing applied).
    @Test func bootUnitLoadsTheRulesBeforeTheInterfaceExists() throws {
        try withPlanLab(tag: "uboot") { lab in
            try lab.namespace.exec(["ip", "link", "del", "mig0"])
            let plain = try lab.run("apply")
            #expect(plain.status == 2)
            #expect(try lab.ruleset().isEmpty)
            let unit = try String(contentsOf: packageRoot.appendingPathComponent("templates/systemd/migfw.service"), encoding: .utf8)
            let line = try #require(unit.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
            var words = line.dropFirst("ExecStart=".count).split(separator: " ").map(String.init)
            #expect(words.first == "/usr/local/sbin/migfw")
            words.removeFirst()
            let config = try #require(words.firstIndex(of: "-c"))
            words[config + 1] = lab.policyPath
            let result = try migfw(words + ["--netns", lab.namespace.name, "--state-dir", lab.stateDirectory,
                                            "--lock-file", lab.lockFile])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("WARNING: interface \"mig0\" does not exist"), "\(result.stderr)")
            #expect(try lab.ruleset().contains("iifname \"mig0\" goto migration_in"))
            #expect(try lab.run("reconcile").status == 1)   // reported until the NIC exists
            try lab.namespace.exec(["ip", "link", "add", "mig0", "type", "veth", "peer", "name", "mig0p"])
            #expect(try lab.run("reconcile").status == 0)
        }
    }
}
