import Engine
import Foundation
import Glibc
import Testing
import TestSupport

/// `apply --confirm` keeps its promise whatever happens to its output or its options: from
/// the commit on, nothing prevents the restore (issue #15, class 1).
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct ConfirmHardeningTests {
    /// The command line of `migfw apply` for `lab`, quoted for sh.
    static func applyCommand(_ lab: PlanLab, _ extra: String) -> String {
        "'\(migfwBinary)' apply --netns \(lab.namespace.name) --state-dir '\(lab.stateDirectory)' "
            + "-c '\(lab.policyPath)' --lock-file '\(lab.lockFile)' \(extra)"
    }

    /// The SSH-drop case --confirm exists for: output through a pipe whose reader is gone
    /// (`| tee` in a dropped session). Every write after the commit fails with EPIPE; the
    /// apply must still roll back, and only then record the hold.
    @Test func confirmThroughADeadPipeStillRollsBack() throws {
        try withPlanLab(tag: "cpipe") { lab in
            #expect(try lab.run("apply").status == 0)
            let before = try lab.ruleset()
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            let status = lab.directory.appendingPathComponent("status").path
            // `true` exits at once: the pipe has no reader by the time apply writes.
            let script = "{ \(Self.applyCommand(lab, "--confirm 1")) < /dev/null; echo $? > '\(status)'; } 2>&1 | true"
            let result = try run(["sh", "-c", script], environment: ["NO_COLOR": "1"])
            #expect(result.status == 0)
            let code = try String(contentsOfFile: status, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(code == "1", "apply must end with 1 (rolled back), not be killed by SIGPIPE: \(code)")
            #expect(try lab.ruleset() == before, "the unconfirmed ruleset must be gone")
            // The hold is recorded (the restore succeeded) and the pending file is gone.
            #expect(RolledBackPolicy.current(directory: lab.stateDirectory, namespace: lab.namespace.name) != nil)
            #expect(!FileManager.default.fileExists(atPath: ReconcileSafetyConfirmTests.pendingPath(lab)))
        }
    }

    /// Values that used to pass validation and trap after the commit (inf, 1e300), and the
    /// other odd ones: refused up front, exit 2, nothing applied.
    @Test(arguments: ["inf", "1e300", "nan", "0", "-1", "86401", "1e-300"])
    func oddConfirmValuesAreRefusedBeforeAnything(value: String) throws {
        try withPlanLab(tag: "codd") { lab in
            let result = try lab.run("apply", ["--confirm=\(value)"])
            #expect(result.status == 2, "--confirm \(value): \(result.stderr)")
            #expect(result.stderr.contains("--confirm"))
            #expect(try lab.ruleset().isEmpty, "--confirm \(value) applied something")
        }
    }

    /// With standard output a pipe (not a terminal), the prompt is there while the apply
    /// waits, not only after the timeout.
    @Test func promptReachesAPipeWhileWaiting() throws {
        try withPlanLab(tag: "cprompt") { lab in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: migfwBinary)
            process.arguments = ["apply", "--netns", lab.namespace.name, "--state-dir", lab.stateDirectory,
                                 "-c", lab.policyPath, "--lock-file", lab.lockFile, "--confirm", "20"]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
            defer { if process.isRunning { process.terminate() }; process.waitUntilExit() }
            var seen = ""
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline, !seen.contains("Keep this ruleset?") {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                seen += String(decoding: chunk, as: UTF8.self)
            }
            #expect(seen.contains("Keep this ruleset?"), "prompt not seen while waiting: \(seen)")
            #expect(process.isRunning, "the apply should still be waiting")
            #expect(try lab.run("confirm").status == 0)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            #expect(try lab.nft("list", "set", "inet", "migfw", "trusted4").contains("192.168.10."))
        }
    }

    /// SIGQUIT while waiting (it used to kill the apply with the new ruleset loaded) rolls
    /// back like SIGINT and SIGTERM.
    @Test func sigquitWhileWaitingRollsBack() throws {
        try withPlanLab(tag: "cquit") { lab in
            let (process, errors) = try ReconcileSafetyConfirmTests.startApply(lab, seconds: 30)
            #expect(ReconcileSafetyConfirmTests.waitForPending(lab))
            // The pending file appears before the commit; wait for the table too.
            for _ in 0..<100 where try lab.ruleset().isEmpty { Thread.sleep(forTimeInterval: 0.05) }
            kill(process.processIdentifier, SIGQUIT)
            process.waitUntilExit()
            let stderr = String(decoding: readToEnd(errors.fileHandleForReading), as: UTF8.self)
            #expect(process.terminationStatus == 1, "\(stderr)")
            #expect(stderr.contains("deleted table inet migfw"), "\(stderr)")
            #expect(try lab.ruleset().isEmpty)
        }
    }
}
