import Engine
import Foundation
import Glibc
import Policy
import Ruleset
import Testing
import TestSupport

/// --confirm against failures after the commit, signals, hang-ups and stale files; the state
/// file as an optimisation only; security events logged before the repair.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct ReconcileSafetyConfirmTests {
    /// `migfw apply --confirm SECONDS` for `lab`, started in the background.
    static func startApply(_ lab: PlanLab, seconds: Int, standardInput: FileHandle? = nil) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: migfwBinary)
        process.arguments = ["apply", "--netns", lab.namespace.name, "--state-dir", lab.stateDirectory,
                             "-c", lab.policyPath, "--lock-file", lab.lockFile, "--confirm", "\(seconds)"]
        process.environment = ProcessInfo.processInfo.environment.merging(["NO_COLOR": "1"]) { $1 }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = standardInput ?? FileHandle.nullDevice
        try process.run()
        return (process, errors)
    }

    static func pendingPath(_ lab: PlanLab) -> String {
        Confirmation(stateDirectory: lab.stateDirectory, namespace: lab.namespace.name).pendingPath
    }

    /// Waits until the apply announced that it waits (its pending file exists).
    static func waitForPending(_ lab: PlanLab) -> Bool {
        for _ in 0..<200 {
            if FileManager.default.fileExists(atPath: pendingPath(lab)) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    /// `apply --confirm` (the engine's ``ConfirmedApply``, as the CLI runs it) with a
    /// failure injected right after the commit, against the real kernel.
    static func confirmedApplyFailingAfterTheCommit(_ lab: PlanLab) throws -> ConfirmedApply.Outcome {
        let desired = RulesetCompiler.compile(try PolicyLoader.load(path: lab.policyPath))
        let applier = try Applier(namespace: lab.namespace.name, stateDirectory: lab.stateDirectory)
        applier.afterCommit = { throw EngineError.verificationFailed("injected") }
        let confirmed = try ConfirmedApply(applier: applier, stateDirectory: lab.stateDirectory, namespace: lab.namespace.name)
        return confirmed.run(desired, seconds: 5, keyboard: false) {}
    }

    @Test func failureAfterTheCommitRollsBack() throws {
        try withPlanLab(tag: "cfail") { lab in
            // No table before (the full create): the rollback deletes it.
            var outcome = try Self.confirmedApplyFailingAfterTheCommit(lab)
            guard case .rolledBack(_, let failure, let messages) = outcome else { Issue.record("kept"); return }
            #expect(failure as? EngineError == .verificationFailed("injected"))
            #expect(messages.last?.contains("deleted table inet migfw") == true, "\(messages)")
            #expect(try lab.ruleset().isEmpty)
            // A previous ruleset (plan-based apply): restored exactly.
            #expect(try lab.run("apply").status == 0)
            let before = try lab.ruleset()
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            outcome = try Self.confirmedApplyFailingAfterTheCommit(lab)
            guard case .rolledBack(_, _, let restored) = outcome else { Issue.record("kept"); return }
            #expect(restored.last?.contains("restored the previous ruleset") == true, "\(restored)")
            #expect(try lab.ruleset() == before)
            #expect(!FileManager.default.fileExists(atPath: Self.pendingPath(lab)))
        }
    }

    @Test func unwritableStateDirectoryStopsConfirmBeforeTheCommit() throws {
        try withPlanLab(tag: "cunw") { lab in
            #expect(try lab.run("apply").status == 0)
            let before = try lab.ruleset()
            // A regular file where the state directory should be: nothing can be written there.
            try? FileManager.default.removeItem(atPath: lab.stateDirectory)
            try Data("not a directory".utf8).write(to: URL(fileURLWithPath: lab.stateDirectory))
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            let confirmed = try lab.run("apply", ["--confirm", "5"])
            #expect(confirmed.status == 1)
            #expect(confirmed.stderr.contains("cannot write"))
            #expect(try lab.ruleset() == before)   // never committed, never waited
            // Without --confirm the state file is only an optimisation: the apply succeeds.
            let plain = try lab.run("apply")
            #expect(plain.status == 0, "\(plain.stderr)")
            #expect(try lab.nft("list", "set", "inet", "migfw", "trusted4").contains("10.50.0.0/16"))
        }
    }

    @Test func reconcileWithUnwritableStateStillAlertsAndRepairs() throws {
        try withPlanLab(tag: "rcunw") { lab in
            #expect(try lab.run("apply").status == 0)
            try? FileManager.default.removeItem(atPath: lab.stateDirectory)
            try Data("not a directory".utf8).write(to: URL(fileURLWithPath: lab.stateDirectory))
            try lab.nft("add", "element", "inet", "migfw", "trusted4", "{ 6.6.6.6 }")
            let result = try lab.run("reconcile")
            #expect(result.status == 2, "\(result.stderr)")
            #expect(result.stderr.contains("possible intrusion") && result.stderr.contains("6.6.6.6"))
            #expect(!(try lab.nft("list", "set", "inet", "migfw", "trusted4")).contains("6.6.6.6"))
            #expect(try lab.run("reconcile").status == 0)
        }
    }

    /// The drift events (a possible intrusion above all) reach the log before the commit,
    /// so a repair that fails afterwards still raises them: reconcile's engine run
    /// (``Reconciler``) with a failure injected after the commit, against the real kernel.
    @Test func reconcileLogsTheIntrusionEvenWhenTheRepairFails() throws {
        try withPlanLab(tag: "rcfail") { lab in
            #expect(try lab.run("apply").status == 0)
            try lab.nft("add", "element", "inet", "migfw", "trusted4", "{ 6.6.6.6 }")
            let desired = RulesetCompiler.compile(try PolicyLoader.load(path: lab.policyPath))
            let applier = try Applier(namespace: lab.namespace.name, stateDirectory: lab.stateDirectory)
            applier.afterCommit = { throw EngineError.verificationFailed("injected") }
            var events: [String] = []
            #expect(throws: EngineError.verificationFailed("injected")) {
                _ = try Reconciler(applier: applier, hold: nil).run(desired, full: false) { plan in
                    events += DriftEvents.events(for: plan).map(\.message)
                }
            }
            #expect(events.contains { $0.contains("possible intrusion") && $0.contains("6.6.6.6") }, "\(events)")
        }
    }

    @Test func failedStructureCheckLeavesNoStateBehind() throws {
        try withPlanLab(tag: "vfst") { lab in
            #expect(try lab.run("apply").status == 0)
            #expect(try lab.run("reconcile").status == 0)   // records the state
            let path = ApplyState.path(directory: lab.stateDirectory, namespace: lab.namespace.name)
            #expect(ApplyState.load(path: path) != nil)
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            let desired = RulesetCompiler.compile(try PolicyLoader.load(path: lab.policyPath))
            let applier = try Applier(namespace: lab.namespace.name, stateDirectory: lab.stateDirectory)
            applier.afterCommit = { throw EngineError.verificationFailed("test") }
            #expect(throws: EngineError.verificationFailed("test")) { try applier.apply(desired) }
            #expect(ApplyState.load(path: path) == nil)
        }
    }

    /// The structure check after a plan-based commit reads the table's flags too: a table
    /// made dormant at that moment (nothing hooked: the firewall off) fails the apply.
    @Test func dormantTableAfterCommitFailsTheStructureCheck() throws {
        try withPlanLab(tag: "vdorm") { lab in
            #expect(try lab.run("apply").status == 0)
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            let desired = RulesetCompiler.compile(try PolicyLoader.load(path: lab.policyPath))
            let applier = try Applier(namespace: lab.namespace.name, stateDirectory: lab.stateDirectory)
            applier.afterCommit = { try lab.nft("add", "table", "inet", "migfw", "{ flags dormant; }") }
            #expect(throws: EngineError.verificationFailed("table flags are 1, expected 0")) { try applier.apply(desired) }
            let path = ApplyState.path(directory: lab.stateDirectory, namespace: lab.namespace.name)
            #expect(ApplyState.load(path: path) == nil)
            // The next run sees the dormant table and re-activates it.
            #expect(try lab.run("apply").status == 0)
            #expect(!(try lab.ruleset().contains("dormant")))
        }
    }

    @Test func sigtermWhileWaitingRollsBack() throws {
        try withPlanLab(tag: "cterm") { lab in
            #expect(try lab.run("apply").status == 0)
            let before = try lab.ruleset()
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            let (process, errors) = try Self.startApply(lab, seconds: 30)
            #expect(Self.waitForPending(lab))
            #expect(try lab.nft("list", "set", "inet", "migfw", "trusted4").contains("10.50.0.0/16"))
            kill(process.processIdentifier, SIGTERM)
            let signalled = ContinuousClock.now
            process.waitUntilExit()
            let stderr = String(decoding: readToEnd(errors.fileHandleForReading), as: UTF8.self)
            #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(stderr)")
            // At once, not at the end of the 30 s wait.
            #expect(ContinuousClock.now - signalled < .seconds(10))
            #expect(stderr.contains("not confirmed (Terminated while waiting)") && stderr.contains("restored the previous ruleset"))
            #expect(try lab.ruleset() == before)
            #expect(!FileManager.default.fileExists(atPath: Self.pendingPath(lab)))
        }
    }

    @Test func sighupWhileWaitingIsIgnoredAndTheTimeoutRollsBack() throws {
        try withPlanLab(tag: "chup") { lab in
            #expect(try lab.run("apply").status == 0)
            let before = try lab.ruleset()
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            let (process, errors) = try Self.startApply(lab, seconds: 3)
            #expect(Self.waitForPending(lab))
            // SIGHUP is ignored while waiting (bit 0 of SigIgn), not merely blocked.
            let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
            let ignored = status.split(separator: "\n").first { $0.hasPrefix("SigIgn:") }
                .flatMap { UInt64($0.split(separator: "\t").last ?? "", radix: 16) } ?? 0
            #expect(ignored & 1 == 1)
            kill(process.processIdentifier, SIGHUP)
            process.waitUntilExit()
            let stderr = String(decoding: readToEnd(errors.fileHandleForReading), as: UTF8.self)
            // Survived the hang-up (exited, not killed by the signal), then rolled back.
            #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(stderr)")
            #expect(stderr.contains("not confirmed within 3 s"))
            #expect(try lab.ruleset() == before)
        }
    }

    @Test func closedTerminalIsNotAConfirmation() throws {
        try withPlanLab(tag: "cpty") { lab in
            #expect(try lab.run("apply").status == 0)
            let before = try lab.ruleset()
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            // A pseudo-terminal on standard input (so apply listens to it), then hung up.
            // (posix_openpt and friends are not in Swift's Glibc module: the ioctls they use.)
            let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
            try #require(master >= 0)
            var unlock: Int32 = 0, number: UInt32 = 0
            try #require(ioctl(master, 0x4004_5431 /* TIOCSPTLCK */, &unlock) == 0 && ioctl(master, 0x8004_5430 /* TIOCGPTN */, &number) == 0)
            let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
            try #require(slave >= 0)
            let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
            let (process, errors) = try Self.startApply(lab, seconds: 3, standardInput: terminal)
            close(slave)
            #expect(Self.waitForPending(lab))
            close(master)
            process.waitUntilExit()
            let stderr = String(decoding: readToEnd(errors.fileHandleForReading), as: UTF8.self)
            #expect(process.terminationStatus == 1, "\(stderr)")
            #expect(stderr.contains("not confirmed within 3 s"))
            #expect(try lab.ruleset() == before)
        }
    }

    @Test func confirmWithAStalePendingFileExitsOne() throws {
        try withPlanLab(tag: "cstale") { lab in
            // A finished (reaped) process: its PID names no running apply.
            let done = Process()
            done.executableURL = URL(fileURLWithPath: "/bin/true")
            try done.run()
            done.waitUntilExit()
            let pending = Self.pendingPath(lab)
            try FileManager.default.createDirectory(atPath: lab.stateDirectory, withIntermediateDirectories: true)
            try Data("\(done.processIdentifier)\n".utf8).write(to: URL(fileURLWithPath: pending))
            let result = try lab.run("confirm")
            #expect(result.status == 1)
            #expect(result.stderr.contains("not running"))
            #expect(!FileManager.default.fileExists(atPath: pending))
            // A live apply (this test process) that has not committed yet is not confirmed...
            try Data("\(getpid())\n".utf8).write(to: URL(fileURLWithPath: pending))
            let early = try lab.run("confirm")
            #expect(early.status == 1)
            #expect(early.stderr.contains("has not committed"), "\(early.stderr)")
            // ...once it waits with its ruleset in place, it is.
            try Data("\(getpid()) ready\n".utf8).write(to: URL(fileURLWithPath: pending))
            #expect(try lab.run("confirm").status == 0)
        }
    }

    @Test func stateFromAnotherBootIsIgnored() throws {
        try withPlanLab(tag: "boot") { lab in
            #expect(try lab.run("apply").status == 0)
            #expect(try lab.run("reconcile", ["--metrics-file", lab.metricsFile]).status == 0)
            #expect(try lab.run("reconcile", ["--metrics-file", lab.metricsFile]).status == 0)
            #expect(try String(contentsOfFile: lab.metricsFile, encoding: .utf8).contains("migfw_fast_path 1"))
            let path = ApplyState.path(directory: lab.stateDirectory, namespace: lab.namespace.name)
            var state = try #require(ApplyState.load(path: path))
            state.bootID = "00000000-0000-0000-0000-000000000000"
            try state.save(path: path)
            #expect(try lab.run("reconcile", ["--metrics-file", lab.metricsFile]).status == 0)
            #expect(try String(contentsOfFile: lab.metricsFile, encoding: .utf8).contains("migfw_fast_path 0"))
            #expect(ApplyState.load(path: path)?.bootID == ApplyState.currentBootID)   // re-recorded
        }
    }

    @Test func statusReadsTheGivenStateDirectory() throws {
        try withPlanLab(tag: "stdir") { lab in
            #expect(try lab.run("apply").status == 0)
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            #expect(try lab.run("apply").stdout.contains("1 element added"))
            let status = try migfw(["status", "--netns", lab.namespace.name, "--state-dir", lab.stateDirectory])
            #expect(status.stdout.contains("(matches the table's content)"), "\(status.stdout)")
        }
    }

    @Test func deleteWaitsForTheRunLock() throws {
        try withPlanLab(tag: "dlock") { lab in
            #expect(try lab.run("apply").status == 0)
            let arguments = ["delete", "--netns", lab.namespace.name, "--lock-file", lab.lockFile, "--lock-timeout", "0.3"]
            do {
                let held = try RunLock.acquire(path: lab.lockFile, timeout: 0)
                let blocked = try migfw(arguments)
                withExtendedLifetime(held) {}
                #expect(blocked.status == 1)
                #expect(blocked.stderr.contains("holds"))
                #expect(!(try lab.ruleset()).isEmpty)
            }
            #expect(try migfw(arguments).status == 0)
            #expect(try lab.ruleset().isEmpty)
        }
    }
}
