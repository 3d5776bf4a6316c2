import Foundation
import Policy
import Prefix
import TestSupport
import WindowsRender

/// Paths and fixtures shared by the Windows renderer tests.
enum Fixture {
    static let root = packageRoot
    static let profiles = ProfileCatalog(directories: [root.appendingPathComponent("templates/profiles").path])
    static let samples = root.appendingPathComponent("samples")
    static let golden = root.appendingPathComponent("Tests/WindowsRenderTests/Golden")
    static let psast = root.appendingPathComponent("Tests/PowerShell/psast.py").path

    static func sampleNames() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: samples.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted()
    }

    static func loadSample(_ name: String) throws -> Policy {
        try PolicyLoader.load(path: samples.appendingPathComponent(name).path, profiles: profiles)
    }

    /// Writes `text` as a policy in a fresh directory and loads it.
    static func load(_ text: String, in directory: ScratchDirectory) throws -> Policy {
        try PolicyLoader.load(path: directory.write("policy.yaml", text), profiles: profiles)
    }

    static func render(_ policy: Policy, _ target: WindowsTarget) throws -> String {
        try target.render(policy, source: "policy.yaml", generator: "migfw test")
    }
}

/// A scratch directory removed when the test is done.
final class ScratchDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("migfw-windows-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return file.path
    }
}

/// A generated script read back through tree-sitter-powershell (Tests/PowerShell/psast.py).
struct ScriptAST: Decodable {
    struct Call: Decodable {
        var name: String?
        var line: Int
        var parameters: [String: [String]]
        var gated: Bool
        var function: String?
    }
    var errors: [String]
    var calls: [Call]

    /// The top-level calls (outside any function) named `name`.
    func topLevel(_ name: String) -> [Call] { calls.filter { $0.name == name && $0.function == nil } }

    static func read(_ script: String, in directory: ScratchDirectory) throws -> ScriptAST {
        let path = try directory.write("script-\(UUID().uuidString).ps1", script)
        let result = try run(["python3", Fixture.psast, "calls", path])
        guard result.status == 0 else { throw ToolFailed(output: result.stderr + result.stdout) }
        return try JSONDecoder().decode(ScriptAST.self, from: Data(result.stdout.utf8))
    }

    /// `psast.py check` on every file: the lines it prints, and whether all parsed cleanly.
    static func check(_ paths: [String]) throws -> (ok: Bool, lines: [String]) {
        let result = try run(["python3", Fixture.psast, "check"] + paths)
        return (result.status == 0, result.stdout.split(separator: "\n").map(String.init))
    }
}

struct ToolFailed: Error { var output: String }

/// Firewall address entries (`a`, `a/len`, `a-b`) read back as intervals.
struct EntrySet: Equatable {
    var ipv4: [AddressRange<IPv4Address>] = []
    var ipv6: [AddressRange<IPv6Address>] = []

    struct Unreadable: Error { var entry: String }

    init(_ entries: [String]) throws {
        for entry in entries {
            let bounds = entry.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard bounds.count <= 2 else { throw Unreadable(entry: entry) }
            let first = try PrefixParser.parse(bounds[0])
            let last = bounds.count == 2 ? try PrefixParser.parse(bounds[1]) : first
            switch (first, last) {
            case (.v4(let a), .v4(let b)):
                guard bounds.count == 1 || (a.length == 32 && b.length == 32),
                      let range = AddressRange(lower: a.first, upper: b.last) else { throw Unreadable(entry: entry) }
                ipv4.append(range)
            case (.v6(let a), .v6(let b)):
                guard bounds.count == 1 || (a.length == 128 && b.length == 128),
                      let range = AddressRange(lower: a.first, upper: b.last) else { throw Unreadable(entry: entry) }
                ipv6.append(range)
            default:
                throw Unreadable(entry: entry)
            }
        }
    }

    /// The union, merged: equal to an ``AggregatedPrefixes`` exactly when the sets are equal.
    var union: AggregatedPrefixes { AggregatedPrefixes(ipv4: Intervals.union(ipv4), ipv6: Intervals.union(ipv6)) }
    var count: Int { ipv4.count + ipv6.count }
}
