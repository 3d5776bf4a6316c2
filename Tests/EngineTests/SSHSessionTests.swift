import Engine
import Foundation
import Testing
import TestSupport

/// The lockout guard finds the SSH session through `sudo`, which drops `SSH_CONNECTION`:
/// in the environment of the nearest ancestor that has it.
@Suite struct SSHSessionTests {
    /// A /proc of three processes: 300 (migfw) under 200 (sudo, env reset) under 100 (the
    /// login shell sshd started), under 1.
    static func withProc(_ body: (String) throws -> Void) throws {
        let root = URL(fileURLWithPath: privateTemporaryDirectory).appendingPathComponent(UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let processes: [(Int, Int, String, String)] = [
            (300, 200, "migfw", "PATH=/usr/sbin\u{0}TERM=xterm\u{0}"),
            (200, 100, "sudo) x (", "SUDO_USER=admin\u{0}"),
            (100, 1, "bash", "USER=admin\u{0}SSH_CONNECTION=198.51.100.7 50000 192.0.2.10 22\u{0}SSH_TTY=/dev/pts/0\u{0}"),
        ]
        for (pid, parent, name, environment) in processes {
            try FileManager.default.createDirectory(atPath: "\(root)/\(pid)", withIntermediateDirectories: true)
            try "\(pid) (\(name)) S \(parent) \(pid) \(pid) 0 -1 4194560".write(toFile: "\(root)/\(pid)/stat", atomically: true, encoding: .utf8)
            try environment.write(toFile: "\(root)/\(pid)/environ", atomically: true, encoding: .utf8)
        }
        try body(root)
    }

    @Test func anAncestorsSessionIsFound() throws {
        try Self.withProc { root in
            #expect(SSHSession.connection(environment: [:], procRoot: root, pid: 300) == "198.51.100.7 50000 192.0.2.10 22")
            // The process's own variable wins.
            #expect(SSHSession.connection(environment: ["SSH_CONNECTION": "a b c d"], procRoot: root, pid: 300) == "a b c d")
            // No ancestor has one: none.
            #expect(SSHSession.connection(environment: [:], procRoot: root, pid: 100) == nil)
        }
    }

    @Test func aMissingProcessEndsTheWalk() {
        #expect(SSHSession.connection(environment: [:], procRoot: "/nonexistent", pid: 300) == nil)
    }
}
