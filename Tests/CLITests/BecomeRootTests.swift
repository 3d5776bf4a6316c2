import Foundation
import Testing
import TestSupport

/// The README's commands (`bash samples/quickstart.sh`, `bash Tests/run.sh`) run as root
/// with no sudo installed, and re-run themselves with sudo for a user who is not root.
/// sudo is replaced by a recording script on a PATH that holds nothing else of sudo's.
@Suite struct BecomeRootTests {
    static let scripts = ["samples/quickstart.sh", "Tests/run.sh"]

    /// A scratch directory readable by `nobody`, with `bin/sudo` recording its arguments
    /// when `withSudo`.
    final class Sandbox {
        let url: URL
        var bin: URL { url.appendingPathComponent("bin") }
        var record: URL { url.appendingPathComponent("sudo-args") }
        init(withSudo: Bool) throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("migfw-become-root-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
            try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: url.path)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin.path)
            // Copies of the scripts, same layout: `nobody` may not read the checkout itself
            // (a clone under /root).
            for script in BecomeRootTests.scripts + ["Tests/become-root.sh"] {
                let copy = url.appendingPathComponent(script)
                try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.copyItem(at: packageRoot.appendingPathComponent(script), to: copy)
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy.deletingLastPathComponent().path)
            }
            if withSudo {
                let sudo = bin.appendingPathComponent("sudo")
                try Data("#!/bin/bash\nprintf '%s\\n' \"$@\" > \(record.path)\nexit 42\n".utf8).write(to: sudo)
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: sudo.path)
            }
        }
        deinit { try? FileManager.default.removeItem(at: url) }
        /// PATH with the sandbox first, then system directories without any sudo.
        var path: String { "\(bin.path):/usr/bin:/bin" }
    }

    /// Runs `bash script arguments` as `nobody` (when we are root) with a clean environment.
    func runAsUser(_ script: String, _ arguments: [String], in sandbox: Sandbox, extra: [String] = []) throws -> CommandResult {
        let path = sandbox.path
        let drop = getuid() == 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        return try run(drop + ["/usr/bin/env", "-i", "PATH=\(path)", "HOME=/tmp", "CI=true", "MIGFW_SKIP_1M=1", "UNRELATED=x"]
            + extra + ["bash", sandbox.url.appendingPathComponent(script).path] + arguments)
    }

    @Test(arguments: scripts)
    func aUserWithSudoReRunsTheScriptWithSudoKeepingPathAndVariables(_ script: String) throws {
        let sandbox = try Sandbox(withSudo: true)
        let result = try runAsUser(script, ["--an-argument"], in: sandbox)
        // The fake sudo's exit status comes back: the script exec'd it before doing anything.
        #expect(result.status == 42, "\(result.stderr)")
        #expect(result.stderr.contains("not root: re-running with sudo"), "\(result.stderr)")
        let arguments = try String(contentsOf: sandbox.record, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(arguments.first == "env")
        #expect(arguments.contains("PATH=\(sandbox.path)"))
        #expect(arguments.contains("MIGFW_BECAME_ROOT=1"))
        #expect(arguments.contains("CI=true") && arguments.contains("MIGFW_SKIP_1M=1"))
        #expect(!arguments.contains { $0.hasPrefix("UNRELATED=") })
        #expect(Array(arguments.suffix(3)) == ["bash", sandbox.url.appendingPathComponent(script).path, "--an-argument"])
    }

    @Test(arguments: scripts)
    func aUserWithoutSudoGetsAClearError(_ script: String) throws {
        let sandbox = try Sandbox(withSudo: false)
        let result = try runAsUser(script, [], in: sandbox)
        #expect(result.status == 1)
        #expect(result.stderr.contains("run it as root") && result.stderr.contains("sudo is not installed"), "\(result.stderr)")
    }

    @Test(arguments: scripts)
    func sudoThatDoesNotMakeRootStopsInsteadOfLooping(_ script: String) throws {
        let sandbox = try Sandbox(withSudo: true)
        let result = try runAsUser(script, [], in: sandbox, extra: ["MIGFW_BECAME_ROOT=1"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("still not root after sudo"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.record.path))
    }

    /// As root, with no sudo anywhere on PATH, the helper lets the script go on unchanged.
    @Test(.enabled(if: getuid() == 0, "needs root")) func rootRunsTheScriptItselfWithoutSudo() throws {
        let sandbox = try Sandbox(withSudo: false)
        let probe = sandbox.url.appendingPathComponent("probe.sh")
        try Data("""
            set -euo pipefail
            source \(sandbox.url.appendingPathComponent("Tests/become-root.sh").path)
            become_root "${BASH_SOURCE[0]}" "$@"
            echo "ran as $(id -u) with: $*"

            """.utf8).write(to: probe)
        #expect(try run(["/usr/bin/env", "-i", "PATH=\(sandbox.path)", "bash", "-c", "command -v sudo"]).status != 0)
        let result = try run(["/usr/bin/env", "-i", "PATH=\(sandbox.path)", "bash", probe.path, "a", "b c"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "ran as 0 with: a b c\n")
        #expect(result.stderr.isEmpty)
    }
}
