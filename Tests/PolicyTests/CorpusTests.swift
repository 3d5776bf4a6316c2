import Foundation
import Policy
import Testing

/// One bad (or lint-worthy) policy of the corpus. Its expectations are comments at its end:
/// `# expect-exit: N`, `# expect: LINE:COL: severity: message [id]` (with `FILE:` in front
/// for another file, e.g. a prefix list) and `# note: LINE:COL: hint`.
struct CorpusCase: CustomTestStringConvertible, Sendable {
    let name: String
    let path: String
    let exit: Int32
    let expected: [String]
    let notes: [String]

    var testDescription: String { name }

    static func all() -> [CorpusCase] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: Repo.corpus.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted()
        return names.map { name in
            let path = Repo.corpus.appendingPathComponent(name).path
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            var exit: Int32 = -1
            var expected: [String] = [], notes: [String] = []
            for line in text.split(separator: "\n") {
                if line.hasPrefix("# expect-exit: ") { exit = Int32(line.dropFirst(15)) ?? -1 }
                if line.hasPrefix("# expect: ") { expected.append(String(line.dropFirst(10))) }
                if line.hasPrefix("# note: ") { notes.append(String(line.dropFirst(8))) }
            }
            return CorpusCase(name: String(name.dropLast(5)), path: path, exit: exit, expected: expected, notes: notes)
        }
    }

    /// `LINE:COL`, or `FILE:LINE:COL` (relative to the corpus) for another file.
    func place(_ finding: Finding) -> String {
        let location = finding.location
        if location.file == path { return "\(location.line):\(location.column)" }
        let directory = Repo.corpus.path + "/"
        let file = location.file.hasPrefix(directory) ? String(location.file.dropFirst(directory.count)) : location.file
        return "\(file):\(location.line):\(location.column)"
    }

    func render(_ finding: Finding) -> String {
        "\(place(finding)): \(finding.severity.rawValue): \(finding.message) [\(finding.id)]"
    }
}

@Suite struct CorpusTests {
    @Test func corpusHasAtLeastThirtyBadPolicies() {
        let cases = CorpusCase.all()
        #expect(cases.filter { $0.exit == 2 }.count >= 30)
        #expect(cases.allSatisfy { $0.exit >= 0 }, "every corpus file states its exit status")
    }

    @Test(arguments: CorpusCase.all())
    func corpusCase(_ corpusCase: CorpusCase) {
        let (status, findings) = checkOutcome(corpusCase.path)
        let rendered = findings.map(corpusCase.render)
        #expect(status == corpusCase.exit, "findings: \(rendered)")
        for line in corpusCase.expected {
            #expect(rendered.contains(line), "missing \(line); got \(rendered)")
        }
        // Nothing unexpected at error or warning level: all problems, and only those.
        for (finding, line) in zip(findings, rendered) where finding.severity != .info {
            #expect(corpusCase.expected.contains(line), "unexpected \(line)")
        }
        for note in corpusCase.notes {
            let hints = findings.map { "\(corpusCase.place($0)): \($0.hint ?? "")" }
            #expect(hints.contains(note), "missing note \(note); got \(hints)")
        }
    }
}
