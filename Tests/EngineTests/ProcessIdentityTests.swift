import Engine
import Foundation
import Testing
import TestSupport

/// The pending file of `apply --confirm` names its process by pid and start time (#20): a
/// reused pid or a zombie is not the waiting apply, and an apply that ended before its batch
/// went out left the kernel unchanged, so it raises no alert.
@Suite(.serialized) struct ProcessIdentityTests {
    static func withDirectory(_ body: (String, Engine.Confirmation) throws -> Void) throws {
        let directory = URL(fileURLWithPath: privateTemporaryDirectory).appendingPathComponent(UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        try body(directory, Engine.Confirmation(stateDirectory: directory, namespace: "pid"))
    }

    static func write(_ text: String, _ confirmation: Engine.Confirmation) throws {
        try text.write(toFile: confirmation.pendingPath, atomically: true, encoding: .utf8)
    }

    @Test func thisProcessIsAliveAndItsStartTimeIsKnown() {
        let me = ProcessIdentity.current
        #expect(me.pid == getpid())
        #expect(me.startTime != nil)
        #expect(me.isAlive)
        #expect(!ProcessIdentity(pid: me.pid, startTime: me.startTime! + 1).isAlive, "another process at the same pid")
    }

    @Test func aReusedPidDoesNotClearTheAlert() throws {
        try Self.withDirectory { _, confirmation in
            let me = ProcessIdentity.current
            // The waiting apply was killed and this process took its pid later.
            try Self.write("\(me.pid) \(me.startTime! - 1) ready\n", confirmation)
            #expect(confirmation.abandonedApply() == me.pid)
            #expect(throws: EngineError.self) { try confirmation.confirm() }
            #expect(!FileManager.default.fileExists(atPath: confirmation.confirmedPath), "confirmed an apply that no longer exists")
            // The same process, alive: no alert.
            try Self.write("\(me) ready\n", confirmation)
            #expect(confirmation.abandonedApply() == nil)
        }
    }

    @Test func aZombieIsDead() throws {
        // The child exits once its parent has exec'd into a sleep that never reaps it (bash
        // itself could reap a child that ended before the exec).
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/bash")
        shell.arguments = ["-c", "sleep 0.3 & echo $!; exec sleep 5"]
        let pipe = Pipe()
        shell.standardOutput = pipe
        try shell.run()
        defer { shell.terminate(); shell.waitUntilExit() }
        let line = String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self)
        let zombie = try #require(Int32(line.trimmingCharacters(in: .whitespacesAndNewlines)))
        var state = ""
        for _ in 0..<150 {
            state = (try? String(contentsOfFile: "/proc/\(zombie)/stat", encoding: .utf8)) ?? ""
            if state.contains(") Z ") { break }
            usleep(20_000)
        }
        try #require(state.contains(") Z "), "no zombie to test with: \(state)")
        #expect(kill(zombie, 0) == 0, "kill(0) still finds a zombie: the old check called it running")
        #expect(!ProcessIdentity(pid: zombie, startTime: nil).isAlive)
        try Self.withDirectory { _, confirmation in
            try Self.write("\(zombie) ready\n", confirmation)
            #expect(confirmation.abandonedApply() == zombie)
        }
    }

    @Test func anApplyKilledBeforeItsBatchRaisesNoAlert() throws {
        try Self.withDirectory { _, confirmation in
            let me = ProcessIdentity.current
            let gone = "\(me.pid) \(me.startTime! - 1)"
            try Self.write("\(gone)\n", confirmation)
            #expect(confirmation.abandonedApply() == nil, "nothing was sent: the kernel never changed")
            #expect(confirmation.clearAbandoned() == nil)
            #expect(!FileManager.default.fileExists(atPath: confirmation.pendingPath), "the stale file is removed")
            try Self.write("\(gone) sending\n", confirmation)
            #expect(confirmation.abandonedApply() == me.pid, "the batch may have gone out")
        }
    }

    @Test func anOlderMigfwsPendingFileStillRaisesTheAlert() throws {
        try Self.withDirectory { _, confirmation in
            try Self.write("999999999 ready\n", confirmation)
            #expect(confirmation.abandonedApply() == 999_999_999)
            try Self.write("999999999\n", confirmation)
            #expect(confirmation.abandonedApply() == 999_999_999, "an older file has no stage: it may have sent")
            try Self.write("\(getpid()) ready\n", confirmation)
            #expect(confirmation.abandonedApply() == nil)
        }
    }
}
