import Foundation
import Testing
import TestSupport

/// `migfw audit --netns` reads the migration NIC's addresses from the namespace's kernel;
/// `reconcile --audit` counts, logs and records, and `status` shows the record.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct AuditKernelTests {
    /// A root directory with `/etc/libvirt/qemu.conf` = `text`, removed afterwards.
    func withQemuConf<T>(_ text: String, _ body: (String) throws -> T) throws -> T {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mfwt-audit-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/etc/libvirt", withIntermediateDirectories: true)
        try text.write(toFile: root + "/etc/libvirt/qemu.conf", atomically: true, encoding: .utf8)
        return try body(root)
    }

    @Test func theListenAddressIsComparedWithTheNICInTheNamespace() throws {
        try withPlanLab(tag: "audns") { lab in
            try lab.namespace.exec(["ip", "addr", "add", "192.168.10.5/24", "dev", "mig0"])
            try lab.namespace.exec(["ip", "-6", "addr", "add", "2001:db8:10::5/64", "dev", "mig0", "nodad"])
            for (address, expected) in [("192.168.10.5", nil), ("2001:db8:10::5", nil), ("192.168.10.99", "migration-address-elsewhere")] {
                try withQemuConf("migrate_tls_force = 1\nmigration_address = \"\(address)\"\n") { root in
                    let result = try migfw(["audit", "-c", lab.policyPath, "--root", root, "--netns", lab.namespace.name, "--json"])
                    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
                    let ids = ((object["findings"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
                    #expect(!ids.contains("interface-not-found"), "\(ids)")
                    #expect(ids.contains("migration-address-elsewhere") == (expected != nil), "\(address): \(ids)")
                    #expect(result.status == (expected == nil ? 0 : 1))
                }
            }
            // The host's own namespace has no mig0: the audit says it could not compare.
            try withQemuConf("migrate_tls_force = 1\nmigration_address = \"192.168.10.99\"\n") { root in
                let outside = try migfw(["audit", "-c", lab.policyPath, "--root", root])
                #expect(outside.stdout.contains("[interface-not-found]"), "\(outside.stdout)")
                #expect(!outside.stdout.contains("[migration-address-elsewhere]"))
            }
        }
    }

    @Test func reconcileCountsLogsNewErrorsOnceAndStatusShowsTheRecord() throws {
        try withPlanLab(tag: "audrc") { lab in
            #expect(try lab.run("apply").status == 0)
            try withQemuConf("migrate_tls_x509_verify = 0\n") { root in
                let first = try lab.run("reconcile", ["--metrics-file", lab.metricsFile, "--audit", "--audit-root", root])
                #expect(first.status == 0, "\(first.stderr)")
                let metrics = try String(contentsOfFile: lab.metricsFile, encoding: .utf8)
                #expect(metrics.contains("migfw_audit_findings{severity=\"error\"} 1"), "\(metrics)")
                #expect(metrics.contains("migfw_audit_ok 1"))
                #expect(metrics.contains("migfw_audit_findings{severity=\"warning\"} "))
                #expect(first.stderr.contains("audit: new error: \(root)/etc/libvirt/qemu.conf:1: migrate_tls_x509_verify = 0"), "\(first.stderr)")

                let again = try lab.run("reconcile", ["--metrics-file", lab.metricsFile, "--audit", "--audit-root", root])
                #expect(again.status == 0)
                #expect(!again.stderr.contains("new error"), "an error already reported is not logged again: \(again.stderr)")

                let status = try migfw(["status", "--netns", lab.namespace.name, "--state-dir", lab.stateDirectory])
                #expect(status.stdout.contains("audit of the hypervisor's settings (reconcile --audit, "), "\(status.stdout)")
                #expect(status.stdout.contains("1 error, "))
                #expect(status.stdout.contains("  error: \(root)/etc/libvirt/qemu.conf:1: migrate_tls_x509_verify = 0"))
                let json = try migfw(["status", "--netns", lab.namespace.name, "--state-dir", lab.stateDirectory, "--json"])
                let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
                #expect((object["audit"] as? [String: Any])?["errors"] as? Int == 1)

                // Fixed: 0 errors; broken again elsewhere: logged as new.
                try "migrate_tls_force = 1\n".write(toFile: root + "/etc/libvirt/qemu.conf", atomically: true, encoding: .utf8)
                #expect(try lab.run("reconcile", ["--metrics-file", lab.metricsFile, "--audit", "--audit-root", root]).status == 0)
                #expect(try String(contentsOfFile: lab.metricsFile, encoding: .utf8).contains("migfw_audit_findings{severity=\"error\"} 0"))
                try "migrate_tls_force = 1\ndefault_tls_x509_verify = 0\n".write(toFile: root + "/etc/libvirt/qemu.conf", atomically: true, encoding: .utf8)
                let broken = try lab.run("reconcile", ["--audit", "--audit-root", root])
                #expect(broken.stderr.contains("audit: new error: \(root)/etc/libvirt/qemu.conf:2: default_tls_x509_verify = 0"), "\(broken.stderr)")
            }
            // Without --audit there is no audit metric.
            #expect(try lab.run("reconcile", ["--metrics-file", lab.metricsFile]).status == 0)
            #expect(!(try String(contentsOfFile: lab.metricsFile, encoding: .utf8)).contains("migfw_audit_findings"))
            // A missing audit root is logged and shows as migfw_audit_ok 0 (so an alert fires
            // instead of the error count just vanishing); the reconcile itself still succeeds.
            let missing = try lab.run("reconcile", ["--metrics-file", lab.metricsFile, "--audit", "--audit-root", "/nonexistent/migfw-root"])
            #expect(missing.status == 0)
            #expect(missing.stderr.contains("audit: --root /nonexistent/migfw-root: no such file"), "\(missing.stderr)")
            let failed = try String(contentsOfFile: lab.metricsFile, encoding: .utf8)
            #expect(failed.contains("migfw_audit_ok 0") && !failed.contains("migfw_audit_findings"), "\(failed)")
        }
    }
}
