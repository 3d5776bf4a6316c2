import Foundation
import Testing
import TestSupport

/// Invalid input and missing privileges: clear messages, the project's exit codes, nothing applied.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"))
struct ApplyInputTests {
    static let sample = packageRoot.appendingPathComponent("samples/libvirt.yaml").path

    @Test func missingInterfaceIsInvalidInputNamingThePolicyLine() throws {
        try withNamespace(tag: "nonic") { namespace in  // no mig0 in here
            let result = try migfw(["apply", "-c", Self.sample, "--netns", namespace.name])
            #expect(result.status == 2)
            let line = try String(contentsOfFile: Self.sample, encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false)
                .firstIndex { $0.hasPrefix("interface:") }.map { $0 + 1 }
            #expect(result.stderr.contains("libvirt.yaml:\(try #require(line)):"), "\(result.stderr)")
            #expect(result.stderr.contains("interface \"mig0\" does not exist"))
            #expect(try namespace.ruleset().isEmpty)
        }
    }

    @Test func policyWithLintErrorsIsRefusedAndNothingApplied() throws {
        try withMigrationNamespace(tag: "lint") { namespace in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(namespace.name)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("broad.yaml").path
            // Trusting every IPv4 address on a dedicated network is an error-level finding.
            try "version: 1\ninterface: mig0\nprofile: libvirt\ndedicated: true\ntrusted:\n  networks: [0.0.0.0/0]\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            let result = try migfw(["apply", "-c", path, "--netns", namespace.name])
            #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains("broad.yaml:6:"), "\(result.stderr)")
            #expect(result.stderr.contains("nothing applied"))
            #expect(try namespace.ruleset().isEmpty)
        }
    }

    @Test func unknownNamespaceIsAnError() throws {
        let result = try migfw(["status", "--netns", "mfwt-does-not-exist"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("network namespace mfwt-does-not-exist not found"))
    }

    @Test func invalidPolicyIsExitTwo() throws {
        let result = try migfw(["apply", "-c", "/nonexistent/policy.yaml", "--netns", "mfwt-unused"])
        #expect(result.status == 2)
    }

    @Test func withoutCapNetAdminTheMessageSaysSoAndExitIsOne() throws {
        try withMigrationNamespace(tag: "nocap") { namespace in
            // Already inside the namespace; drop the capabilities from the bounding set so the
            // exec'ed migfw has neither CAP_NET_ADMIN nor CAP_SYS_ADMIN.
            let drop = ["setpriv", "--bounding-set", "-net_admin,-sys_admin", "--inh-caps", "-all"]
            for arguments in [["apply", "-c", Self.sample], ["status"], ["delete"]] {
                let result = try namespace.tryExec(drop + [migfwBinary] + arguments)
                #expect(result.status == 1, "\(arguments): \(result.stderr)")
                #expect(result.stderr.contains("CAP_NET_ADMIN"), "\(arguments): \(result.stderr)")
            }
            #expect(try namespace.ruleset().isEmpty)
        }
    }
}
