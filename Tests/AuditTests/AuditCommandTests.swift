import Foundation
import Testing
import TestSupport

/// `migfw audit` as a user runs it: exit codes, text and JSON, `--root`, `--netns`.
@Suite struct AuditCommandTests {
    static let policy = Repo.corpus.appendingPathComponent("policies/libvirt-tls.yaml").path

    func rootWithQemu(_ text: String) throws -> FakeRoot {
        let root = try FakeRoot()
        try root.write("/etc/libvirt/qemu.conf", text)
        return root
    }

    @Test func anErrorFindingExits1AndPrintsFileLineAndFix() throws {
        let root = try rootWithQemu("migrate_tls_force = 0\n")
        let result = try migfw(["audit", "-c", Self.policy, "--root", root.path])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.contains("\(root.path)/etc/libvirt/qemu.conf:1: error: the policy says authentication: tls, but migrate_tls_force = 0"))
        #expect(result.stdout.contains("\(root.path)/etc/libvirt/qemu.conf:1: note: set migrate_tls_force = 1"))
        #expect(result.stdout.hasSuffix("errors, 1 warning, 1 note\n") || result.stdout.contains("audit: 1 error"))
    }

    @Test func noErrorExits0EvenWithWarnings() throws {
        let root = try rootWithQemu("migrate_tls_force = 1\n")
        let result = try migfw(["audit", "-c", Self.policy, "--root", root.path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("warning: migration_address is not set"))
    }

    @Test func jsonHasTheDocumentedShape() throws {
        let root = try rootWithQemu("migrate_tls_force = 0\nmigration_address = \"10.1.1.1\"\n")
        let result = try migfw(["audit", "-c", Self.policy, "--root", root.path, "--json"])
        #expect(result.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["findings", "errors", "warnings", "infos"])
        let findings = try #require(object["findings"] as? [[String: Any]])
        #expect(object["errors"] as? Int == findings.filter { $0["severity"] as? String == "error" }.count)
        let forced = try #require(findings.first { $0["id"] as? String == "migrate-tls-not-forced" })
        #expect(forced["file"] as? String == root.path + "/etc/libvirt/qemu.conf")
        #expect(forced["line"] as? Int == 1)
        #expect(forced["setting"] as? String == "migrate_tls_force")
        #expect((forced["fix"] as? String)?.isEmpty == false && (forced["message"] as? String)?.isEmpty == false)
        // The listen address check needs the NIC, which this machine does not have: a warning says so.
        #expect(findings.contains { $0["id"] as? String == "interface-not-found" })
    }

    @Test func aMissingRootOrAnInvalidPolicyExits2() throws {
        let missing = try migfw(["audit", "-c", Self.policy, "--root", "/nonexistent/migfw-audit-root"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--root /nonexistent/migfw-audit-root: no such file"))
        let root = try FakeRoot()
        try root.write("/bad.yaml", "version: 1\ninterface: mig0\nprofile: libvirt\ntrusted: {networks: [10.0.0.1/8]}\n")
        let invalid = try migfw(["audit", "-c", root.path + "/bad.yaml", "--root", root.path])
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("bad.yaml:4:"))
        #expect(invalid.stdout.isEmpty)
    }

    @Test func aNamespaceThatCannotBeEnteredExits2() throws {
        let root = try rootWithQemu("migrate_tls_force = 1\n")
        let result = try migfw(["audit", "-c", Self.policy, "--root", root.path, "--netns", "mfwt-no-such-namespace"])
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("--netns mfwt-no-such-namespace"))
    }

    @Test func theAuditChangesNoFile() throws {
        let root = try rootWithQemu("migrate_tls_force = 0\n")
        func listing() throws -> [String: Date] {
            var result: [String: Date] = [:]
            let enumerator = FileManager.default.enumerator(atPath: root.path)
            while let name = enumerator?.nextObject() as? String {
                let attributes = try FileManager.default.attributesOfItem(atPath: root.path + "/" + name)
                result[name] = attributes[.modificationDate] as? Date
            }
            return result
        }
        let before = try listing()
        _ = try migfw(["audit", "-c", Self.policy, "--root", root.path])
        #expect(try listing() == before)
    }

    @Test func otherProfilesSayWhereToLook() throws {
        let root = try FakeRoot()
        for (profile, words) in [("hyperv", "-Check"), ("vmware", "migrateEncryption")] {
            try root.write("/\(profile).yaml", "version: 1\ninterface: mig0\nprofile: \(profile)\ntrusted: {networks: [192.168.60.0/24]}\n")
            let result = try migfw(["audit", "-c", root.path + "/\(profile).yaml", "--root", root.path])
            #expect(result.status == 0)
            #expect(result.stdout.contains("[nothing-to-read]") && result.stdout.contains(words), "\(result.stdout)")
        }
    }
}
