import Foundation
import Testing
import TestSupport

/// The PowerShell runtime lives in templates/windows/*.ps1 and reaches the binary through
/// templates/embed-windows.sh, which writes Sources/WindowsRender/EmbeddedRuntime.swift.
@Suite struct EmbeddedRuntimeTests {
    static let script = Fixture.root.appendingPathComponent("templates/embed-windows.sh").path
    static let sources = Fixture.root.appendingPathComponent("templates/windows")
    static let generated = Fixture.root.appendingPathComponent("Sources/WindowsRender/EmbeddedRuntime.swift")

    static func runtimeFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: sources.path)
            .filter { $0.hasSuffix(".ps1") }.sorted()
            .map { sources.appendingPathComponent($0).path }
    }

    /// The committed Swift is exactly what the script makes of today's .ps1 files: an edited
    /// .ps1 without a rerun of the script fails here, not silently in the binary.
    @Test func generatedSwiftMatchesTheRuntimeFiles() throws {
        let scratch = try ScratchDirectory()
        let fresh = scratch.url.appendingPathComponent("EmbeddedRuntime.swift").path
        let result = try run(["bash", Self.script, fresh])
        #expect(result.status == 0, "\(result.stderr)")
        let expected = try Data(contentsOf: URL(fileURLWithPath: fresh))
        let committed = try Data(contentsOf: Self.generated)
        #expect(committed == expected, "Sources/WindowsRender/EmbeddedRuntime.swift is stale: run templates/embed-windows.sh")
    }

    /// Every runtime file is valid PowerShell on its own (tree-sitter-powershell).
    @Test func everyRuntimeFileParses() throws {
        let files = try Self.runtimeFiles()
        #expect(files.count >= 4, "\(files)")
        let check = try ScriptAST.check(files)
        #expect(check.ok, "\(check.lines)")
        #expect(check.lines == files.map { "ok " + $0 })
    }

    /// A runtime file changes nothing by itself: every change it can make sits in a function,
    /// behind `Approve-MigfwChange`.
    @Test func runtimeFilesChangeNothingAtTopLevel() throws {
        let scratch = try ScratchDirectory()
        for file in try Self.runtimeFiles() {
            let ast = try ScriptAST.read(try String(contentsOfFile: file, encoding: .utf8), in: scratch)
            for call in ast.calls where ScriptChecks.mutating.contains(call.name ?? "") {
                #expect(call.function != nil && call.gated, "\(file):\(call.line): \(call.name ?? "") outside a gated function")
            }
        }
    }

    /// A file the generated Swift literal could not hold verbatim is refused, not embedded.
    @Test(arguments: [
        ("end.ps1", "Write-Host 'a'\n\"\"\"#\n", "contains \"\"\"#"),
        ("escape.ps1", "Write-Host 'a\\#(1)'\n", "contains \\#"),
        ("crlf.ps1", "Write-Host 'a'\r\n", "carriage return"),
        ("Bad_Name.ps1", "Write-Host 'a'\n", "name must be"),
    ])
    func unembeddableFilesAreRefused(file: String, text: String, message: String) throws {
        let scratch = try ScratchDirectory()
        let input = scratch.url.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        try Data("Write-Host 'fine'\n".utf8).write(to: input.appendingPathComponent("fine.ps1"))
        try Data(text.utf8).write(to: input.appendingPathComponent(file))
        let output = scratch.url.appendingPathComponent("out.swift").path
        let result = try run(["bash", Self.script, output, input.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    /// The script itself, on a directory of good files: one property per file, each the
    /// file's text exactly (its last line break included), in a literal Swift reads raw.
    @Test func scriptEmbedsEachFileVerbatim() throws {
        let scratch = try ScratchDirectory()
        let input = scratch.url.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        try Data("Write-Host \"$a\\n\"\n".utf8).write(to: input.appendingPathComponent("two-words.ps1"))
        try Data("# no final line break".utf8).write(to: input.appendingPathComponent("a.ps1"))
        let output = scratch.url.appendingPathComponent("out.swift").path
        let result = try run(["bash", Self.script, output, input.path])
        #expect(result.status == 0, "\(result.stderr)")
        let text = try String(contentsOfFile: output, encoding: .utf8)
        #expect(text.contains("    static let a = #\"\"\"\n# no final line break\n\"\"\"#\n"))
        #expect(text.contains("    static let twoWords = #\"\"\"\nWrite-Host \"$a\\n\"\n\n\"\"\"#\n"))
        #expect(text.range(of: "static let a ")!.lowerBound < text.range(of: "static let twoWords ")!.lowerBound)
    }
}
