import Audit
import Foundation
import Policy
import Testing

/// One bad configuration file of the corpus (`Tests/AuditTests/Corpus/*.conf|cfg|...`). Its
/// header comments say where it goes and what it must produce:
/// `# audit-path: /etc/libvirt/qemu.conf` (where it is placed under a fresh root),
/// `# audit-policy: libvirt-tls.yaml` (from `Corpus/policies/`),
/// `# audit-also: /etc/x = corpus-file` (more files, optional, any number),
/// `# expect: LINE: severity: message [id]` (LINE `-` for a finding about the whole file).
/// Every error and warning in the file must be expected; infos only when listed.
struct AuditCorpusCase: CustomTestStringConvertible, Sendable {
    let name: String
    let text: String
    let auditPath: String
    let policy: String
    let also: [(path: String, file: String)]
    let expected: [String]

    var testDescription: String { name }

    static func all() -> [AuditCorpusCase] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: Repo.corpus.path)) ?? [])
            .filter { !$0.hasPrefix(".") && $0 != "policies" && !$0.hasPrefix("_") }.sorted()
        return names.map { name in
            let text = (try? String(contentsOfFile: Repo.corpus.appendingPathComponent(name).path, encoding: .utf8)) ?? ""
            var path = "", policy = "", expected: [String] = [], also: [(String, String)] = []
            for line in text.split(separator: "\n") {
                if line.hasPrefix("# audit-path: ") { path = String(line.dropFirst(14)) }
                if line.hasPrefix("# audit-policy: ") { policy = String(line.dropFirst(16)) }
                if line.hasPrefix("# expect: ") { expected.append(String(line.dropFirst(10))) }
                if line.hasPrefix("# audit-also: ") {
                    let parts = line.dropFirst(14).split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    if parts.count == 2 { also.append((parts[0], parts[1])) }
                }
            }
            return AuditCorpusCase(name: name, text: text, auditPath: path, policy: policy, also: also, expected: expected)
        }
    }
}

@Suite struct AuditCorpusTests {
    @Test func corpusHasCasesForEachHypervisor() {
        let cases = AuditCorpusCase.all()
        #expect(cases.count >= 25, "\(cases.count) cases")
        #expect(cases.allSatisfy { !$0.auditPath.isEmpty && !$0.policy.isEmpty && !$0.expected.isEmpty },
                "every case says where it goes, its policy and at least one expected finding")
        for prefix in ["/etc/libvirt/", "/etc/pve/", "/etc/xen", "/etc/xapi"] {
            #expect(cases.contains { $0.auditPath.hasPrefix(prefix) }, "no case for \(prefix)")
        }
    }

    @Test(arguments: AuditCorpusCase.all())
    func corpusCase(_ corpusCase: AuditCorpusCase) throws {
        let root = try FakeRoot()
        try root.write(corpusCase.auditPath, corpusCase.text)
        for (path, file) in corpusCase.also {
            try root.write(path, try String(contentsOfFile: Repo.corpus.appendingPathComponent(file).path, encoding: .utf8))
        }
        let report = try audit(try Repo.policy(corpusCase.policy), root)
        let lines = report.lines(in: corpusCase.auditPath, root: root)
        for line in corpusCase.expected {
            #expect(lines.contains(line), "missing \(line); got \(lines)")
        }
        let serious = report.findings.filter { $0.file == root.path + corpusCase.auditPath && $0.severity != .info }
        for line in lines where serious.contains(where: { line.contains("[\($0.id)]") && line.contains(": \($0.severity.rawValue): ") }) {
            #expect(corpusCase.expected.contains(line), "unexpected \(line)")
        }
    }
}
