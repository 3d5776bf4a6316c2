import Foundation
import Testing
import TestSupport

/// The committed shell completions equal what the binary generates. When a command or option
/// changes, run templates/completions/generate.sh.
@Suite struct CheckCompletionTests {
    @Test(arguments: [("bash", "migfw.bash"), ("zsh", "_migfw"), ("fish", "migfw.fish")])
    func committedCompletionIsCurrent(_ shell: String, _ file: String) throws {
        let generated = try migfw(["--generate-completion-script", shell])
        #expect(generated.status == 0)
        let committed = try String(
            contentsOf: packageRoot.appendingPathComponent("templates/completions/\(file)"), encoding: .utf8)
        #expect(generated.stdout == committed, "templates/completions/\(file) is stale: run templates/completions/generate.sh")
    }
}
