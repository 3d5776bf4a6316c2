import Foundation
import Policy

/// Paths of the repository the tests run from.
enum Repo {
    /// The package root, found from this source file (Tests/PolicyTests/Support.swift).
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let profiles = ProfileCatalog(directories: [root.appendingPathComponent("templates/profiles").path])
    static let samples = root.appendingPathComponent("samples")

    /// The bad-input corpus, as the test bundle's resource (falling back to the source tree).
    static let corpus: URL = {
        if let url = Bundle.module.resourceURL?.appendingPathComponent("Corpus"),
           FileManager.default.fileExists(atPath: url.path) {
            return url
        }
        return root.appendingPathComponent("Tests/PolicyTests/Corpus")
    }()

    static func sampleFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: samples.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted()
    }
}

/// A scratch directory removed when the test is done.
final class ScratchDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("migfw-policy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `text` to `name` inside the directory and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file.path
    }
}

/// Loads and lints like `migfw check`: the findings and the exit status check would give.
func checkOutcome(_ path: String) -> (status: Int32, findings: [Finding]) {
    do {
        let policy = try PolicyLoader.load(path: path, profiles: Repo.profiles)
        let findings = PolicyLinter.lint(policy)
        return (PolicyLinter.hasErrors(findings) ? 1 : 0, findings)
    } catch {
        return (2, error.findings)
    }
}

/// Loads a policy written inline, failing the test with its errors when it is invalid.
func loadPolicy(_ yaml: String, in scratch: ScratchDirectory, name: String = "policy.yaml") throws -> Policy {
    try PolicyLoader.load(path: try scratch.write(name, yaml), profiles: Repo.profiles)
}

/// The error findings of a policy that must not load.
func loadErrors(_ yaml: String, in scratch: ScratchDirectory) throws -> [Finding] {
    do {
        _ = try loadPolicy(yaml, in: scratch)
        return []
    } catch let error as PolicyError {
        return error.findings
    }
}
