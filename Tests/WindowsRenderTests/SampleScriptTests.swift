import Foundation
import Policy
import Testing
import TestSupport
import WindowsRender

/// Every sample rendered for both targets by the built `migfw render`: compared with the
/// committed golden file, parsed by a real PowerShell grammar, and checked structurally.
///
/// Regenerate the golden files after an intended change (then read the diff):
///     MIGFW_UPDATE_GOLDEN=1 swift test --filter SampleScriptTests
@Suite(.serialized) struct SampleScriptTests {
    static let update = ProcessInfo.processInfo.environment["MIGFW_UPDATE_GOLDEN"] == "1"

    /// `migfw render` of a sample, with the checkout's path taken out of messages and header.
    static func render(_ sample: String, _ target: WindowsTarget) throws -> (status: Int32, text: String) {
        let path = Fixture.samples.appendingPathComponent(sample).path
        let result = try migfw(["render", "-c", path, "--target", target.rawValue])
        let prefix = Fixture.root.path + "/"
        if result.status == 0 {
            #expect(result.stderr.isEmpty, "\(sample) \(target): \(result.stderr)")
            return (0, result.stdout.replacingOccurrences(of: prefix, with: ""))
        }
        #expect(result.stdout.isEmpty)
        return (result.status, "exit \(result.status)\n" + result.stderr.replacingOccurrences(of: prefix, with: ""))
    }

    static let cases: [(String, WindowsTarget)] = Fixture.sampleNames().flatMap { sample in
        WindowsTarget.allCases.map { (sample, $0) }
    }

    @Test func goldenFilesMatch() throws {
        #expect(Self.cases.count >= 14)
        var expectedFiles = Set<String>()
        for (sample, target) in Self.cases {
            let (status, text) = try Self.render(sample, target)
            let stem = (sample as NSString).deletingPathExtension + "." + target.rawValue
            let name = stem + (status == 0 ? ".ps1" : ".refused.txt")
            expectedFiles.insert(name)
            let file = Fixture.golden.appendingPathComponent(name)
            if Self.update {
                try FileManager.default.createDirectory(at: Fixture.golden, withIntermediateDirectories: true)
                try Data(text.utf8).write(to: file)
                continue
            }
            let golden = try? String(contentsOf: file, encoding: .utf8)
            #expect(golden == text, "\(name) differs from the rendering; if intended: MIGFW_UPDATE_GOLDEN=1 swift test --filter SampleScriptTests")
        }
        if Self.update {
            for stale in try FileManager.default.contentsOfDirectory(atPath: Fixture.golden.path) where !expectedFiles.contains(stale) {
                try FileManager.default.removeItem(at: Fixture.golden.appendingPathComponent(stale))
            }
        } else {
            #expect(Set(try FileManager.default.contentsOfDirectory(atPath: Fixture.golden.path)) == expectedFiles, "stale golden files")
        }
    }

    /// The samples an admin would render succeed; the others are refused for a stated reason.
    @Test func whichSamplesRender() throws {
        var rendered: [String] = []
        for (sample, target) in Self.cases {
            let (status, text) = try Self.render(sample, target)
            if status == 0 {
                rendered.append("\(sample) \(target)")
            } else {
                #expect(status == 2)
                #expect(text.contains("samples/\(sample):"), "file:line in \(text)")
                #expect(text.hasSuffix("migfw render: nothing written\n"))
            }
        }
        #expect(rendered.contains("hyperv.yaml hyperv"))
        #expect(rendered.contains("seed-dev-to-prod.yaml hyperv"))
        #expect(rendered.contains("seed-dev-to-prod.yaml ad"))
    }

    @Test func everyRenderedSampleParsesAndHoldsThePolicy() throws {
        let scratch = try ScratchDirectory()
        var paths: [String] = []
        for (sample, target) in Self.cases {
            let (status, text) = try Self.render(sample, target)
            guard status == 0 else { continue }
            paths.append(try scratch.write("\(sample).\(target).ps1", text))
            let ast = try ScriptAST.read(text, in: scratch)
            let policy = try Fixture.loadSample(sample)
            switch target {
            case .hyperv: try ScriptChecks.hostScript(ast, text, policy, "\(sample) \(target)")
            case .ad: ScriptChecks.adScript(ast, text, policy, "\(sample) \(target)")
            }
        }
        let check = try ScriptAST.check(paths)
        #expect(check.ok, "\(check.lines)")
        #expect(check.lines.count == paths.count && check.lines.allSatisfy { $0.hasPrefix("ok ") })
    }

    /// The checker itself fails on broken PowerShell (so a clean result means something).
    @Test func parserCheckerCatchesBrokenScripts() throws {
        let scratch = try ScratchDirectory()
        let good = try scratch.write("good.ps1", "Write-Host 'a''b'\n")
        let unterminated = try scratch.write("bad1.ps1", "Write-Host 'a\n")
        let brokenBlock = try scratch.write("bad2.ps1", "if ($x) { Write-Host 'a'\n")
        #expect(try ScriptAST.check([good]).ok)
        #expect(try !ScriptAST.check([unterminated]).ok)
        #expect(try !ScriptAST.check([brokenBlock]).ok)
    }
}
