import Audit
import Foundation
import Policy
import Prefix

/// Paths of the repository the tests run from.
enum Repo {
    /// The package root, found from this source file (Tests/AuditTests/Support.swift).
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let profiles = ProfileCatalog(directories: [root.appendingPathComponent("templates/profiles").path])

    /// The bad-configuration corpus, as the test bundle's resource (falling back to the source tree).
    static let corpus: URL = {
        if let url = Bundle.module.resourceURL?.appendingPathComponent("Corpus"),
           FileManager.default.fileExists(atPath: url.path) {
            return url
        }
        return root.appendingPathComponent("Tests/AuditTests/Corpus")
    }()

    /// A corpus policy (`Corpus/policies/NAME`).
    static func policy(_ name: String) throws -> Policy {
        try PolicyLoader.load(path: corpus.appendingPathComponent("policies/\(name)").path, profiles: profiles)
    }
}

/// A throwaway `--root`: files written at their paths on the audited system, removed when
/// the test is done.
final class FakeRoot {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("migfw-audit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` at `file` (absolute, as on the audited system).
    func write(_ file: String, _ text: String) throws {
        let url = URL(fileURLWithPath: path + file)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// A symbolic link at `file` (absolute, as on the audited system) to `target`, as written.
    func link(_ file: String, to target: String) throws {
        let url = URL(fileURLWithPath: path + file)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
    }

    var configRoot: ConfigRoot { get throws { try ConfigRoot(path) } }
}

/// The migration NIC the corpus and most tests assume: mig0 with 192.168.60.5/24 and fd00:60::5/64.
let migrationNIC: [InterfaceAddress] = [
    InterfaceAddress(address: try! PrefixParser.parse("192.168.60.5"), subnet: try! PrefixParser.parse("192.168.60.0/24")),
    InterfaceAddress(address: try! PrefixParser.parse("fd00:60::5"), subnet: try! PrefixParser.parse("fd00:60::/64")),
]

/// Audits `root` against `policy` with ``migrationNIC`` as the NIC's addresses.
func audit(_ policy: Policy, _ root: FakeRoot, interface: [InterfaceAddress]? = migrationNIC,
           host: [AnyCIDR] = []) throws -> AuditReport {
    Auditor.audit(AuditContext(policy: policy, root: try root.configRoot, interfaceAddresses: interface, hostAddresses: host))
}

extension AuditReport {
    /// `LINE: severity: message [id]` for the findings in `file` (under the root): how the
    /// corpus writes its expectations.
    func lines(in file: String, root: FakeRoot) -> [String] {
        findings.filter { $0.file == root.path + file }.map {
            "\($0.line.map(String.init) ?? "-"): \($0.severity.rawValue): \($0.message) [\($0.id)]"
        }
    }
}
