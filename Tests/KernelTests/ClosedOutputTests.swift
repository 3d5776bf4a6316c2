import Foundation
import Glibc
import Testing
import TestSupport

/// Closed or broken standard descriptors never crash a command and never change what it
/// reports through its exit status (issue #15, class 4). A failed write to stderr used to
/// trap (exit 132), and with descriptors 0-2 closed the lock file became "stderr".
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct ClosedOutputTests {
    /// How the descriptors are redirected for one run, and whether writes to standard
    /// output fail. A descriptor closed at start is reopened on /dev/null, so there the
    /// command runs as usual.
    static let redirections: [(name: String, shell: String, stdoutFails: Bool)] = [
        ("stdout closed", ">&-", false),
        ("stderr closed", "2>&-", false),
        ("both closed", ">&- 2>&-", false),
        ("0-2 closed", "<&- >&- 2>&-", false),
        ("stdout full", "> /dev/full", true),
        ("stderr full", "2> /dev/full", false),
        ("both full", "> /dev/full 2> /dev/full", true),
    ]

    /// Runs `migfw ARGS` under `redirection` and returns its exit status.
    static func status(_ arguments: [String], _ redirection: String, environment: [String: String] = [:]) throws -> Int32 {
        let quoted = ([migfwBinary] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let statusFile = FileManager.default.temporaryDirectory.appendingPathComponent("mfwt-status-\(UInt32.random(in: 0...UInt32.max))").path
        defer { unlink(statusFile) }
        try run(["sh", "-c", "\(quoted) \(redirection); echo $? > '\(statusFile)'"],
                environment: environment.merging(["NO_COLOR": "1", "MIGFW_LOG": "stderr"]) { $1 })
        let text = (try? String(contentsOfFile: statusFile, encoding: .utf8)) ?? ""
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test func everyCommandKeepsItsExitCodeWithClosedOrFullOutput() throws {
        try withPlanLab(tag: "closed") { lab in
            let common = ["--netns", lab.namespace.name, "--state-dir", lab.stateDirectory]
            let policy = ["-c", lab.policyPath]
            let lock = ["--lock-file", lab.lockFile]
            for (name, redirection, stdoutFails) in Self.redirections {
                let netns = ["--netns", lab.namespace.name]
                #expect(try migfw(["delete"] + netns + lock).status == 0, "\(name): delete before the round")
                // What each command exits with when its own output cannot be written: the
                // product commands (plan, status, check, compile) 1; the ones whose output
                // only reports on work done keep the status of that work.
                let cases: [(arguments: [String], normal: Int32, withoutStdout: Int32)] = [
                    (["check"] + policy, 0, 1),
                    (["compile"] + policy, 0, 1),
                    (["plan"] + common + policy, 2, 1),
                    (["apply"] + common + policy + lock, 0, 0),
                    (["plan"] + common + policy, 0, 1),
                    (["status"] + common, 0, 1),
                    (["reconcile"] + common + policy + lock, 0, 0),
                    (["confirm"] + common, 1, 1),
                    (["delete"] + netns + lock, 0, 0),
                    (["--version"], 0, 0),
                ]
                for item in cases {
                    let status = try Self.status(item.arguments, redirection)
                    let expected = stdoutFails ? item.withoutStdout : item.normal
                    #expect(status == expected, "\(name): migfw \(item.arguments.first!) exited \(status), expected \(expected)")
                }
            }
        }
    }

    /// With descriptors 0-2 closed at start, files migfw opens must not become "standard
    /// error": the drift lines of a repair never land in the lock file.
    @Test func driftLinesNeverLandInTheLockFile() throws {
        try withPlanLab(tag: "closed2") { lab in
            #expect(try lab.run("apply").status == 0)
            try lab.nft("add", "element", "inet", "migfw", "trusted4", "{ 6.6.6.6 }")
            let arguments = ["reconcile", "--netns", lab.namespace.name, "--state-dir", lab.stateDirectory,
                             "-c", lab.policyPath, "--lock-file", lab.lockFile]
            #expect(try Self.status(arguments, "<&- >&- 2>&-") == 2)
            let size = (try FileManager.default.attributesOfItem(atPath: lab.lockFile)[.size] as? Int) ?? -1
            #expect(size == 0, "the lock file received \(size) bytes")
            #expect(!(try lab.nft("list", "set", "inet", "migfw", "trusted4")).contains("6.6.6.6"))
        }
    }
}
