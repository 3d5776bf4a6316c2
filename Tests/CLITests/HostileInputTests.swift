import Foundation
import Glibc
import Testing
import TestSupport

/// Inputs that are not what they claim (issue #15, class 3): a FIFO or a device matched by
/// `trusted.files` never blocks, a file that is not a prefix list is never echoed, and a huge
/// policy of bad entries gives a bounded report.
@Suite struct HostileInputTests {
    /// A policy whose `trusted.files` is `pattern`, in a fresh directory with a feed folder.
    static func withFeed(_ body: (_ directory: String, _ policy: String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mfwt-feed-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/trusted.d", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let policy = directory + "/migfw.yaml"
        try """
            version: 1
            interface: mig0
            profile: libvirt
            trusted:
              networks: [192.168.10.0/24]
              files: [\(directory)/trusted.d/*.txt]

            """.write(toFile: policy, atomically: true, encoding: .utf8)
        try body(directory, policy)
    }

    /// `migfw COMMAND -c POLICY` with a hard time limit, so a hang fails instead of stalling.
    static func bounded(_ command: String, _ policy: String) throws -> (result: CommandResult, seconds: Double) {
        let start = Date()
        let result = try run(["timeout", "10", migfwBinary, command, "-c", policy],
                             environment: ["MIGFW_PROFILES_DIR": CheckTests.profiles])
        return (result, Date().timeIntervalSince(start))
    }

    @Test(arguments: ["check", "compile"])
    func fifoInTheFeedDirectoryIsRefusedWithoutBlocking(command: String) throws {
        try Self.withFeed { directory, policy in
            #expect(mkfifo(directory + "/trusted.d/stall.txt", 0o644) == 0)
            let (result, seconds) = try Self.bounded(command, policy)
            // It used to block in open() forever; the bound is loose for a loaded machine.
            #expect(seconds < 5, "\(command) took \(seconds) s on a FIFO")
            #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
            #expect((result.stdout + result.stderr).contains("stall.txt:1:1: error: cannot read: not a regular file"))
        }
    }

    @Test func deviceInTheFeedDirectoryIsRefused() throws {
        try Self.withFeed { directory, policy in
            #expect(symlink("/dev/zero", directory + "/trusted.d/zero.txt") == 0)
            let (result, seconds) = try Self.bounded("check", policy)
            #expect(seconds < 5, "check took \(seconds) s on /dev/zero")
            #expect(result.status == 2)
            #expect(result.stdout.contains("zero.txt:1:1: error: cannot read: not a regular file"), "\(result.stdout)")
        }
    }

    /// A symlink in the feed directory to a file that is not a prefix list (think
    /// /etc/shadow): nothing of it is printed (#20: its first line is no prefix, so the
    /// file is refused whole); a real list's bad token is quoted short, escapes escaped.
    @Test func aFileThatIsNotAPrefixListIsNotEchoed() throws {
        try Self.withFeed { directory, policy in
            let secret = "root:$6$Zx9secretHASHthatMustNotBeShownAnywhere0123456789abcdef:19000:0:99999:7:::"
            let escape = "\u{1b}]0;pwned\u{07}\u{1b}[2J10.0.0.0/8"
            try "\(secret)\n\(escape)\n".write(toFile: directory + "/shadow", atomically: true, encoding: .utf8)
            #expect(symlink(directory + "/shadow", directory + "/trusted.d/feed.txt") == 0)
            let (result, _) = try Self.bounded("check", policy)
            let output = result.stdout + result.stderr
            #expect(result.status == 2)
            #expect(output.contains("feed.txt:1:1: error: not a prefix list"), "\(output)")
            for part in ["root:", "Zx9sec", "abcdef:19000", "pwned"] {
                #expect(!output.contains(part), "'\(part)' was echoed: \(output)")
            }
            #expect(!output.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x07 }, "raw escapes: \(output)")

            // A list with one bad line: its token's start, escaped.
            try "10.1.0.0/16\n\(escape)\n".write(toFile: directory + "/shadow", atomically: true, encoding: .utf8)
            let (list, _) = try Self.bounded("check", policy)
            let listed = list.stdout + list.stderr
            #expect(listed.contains("feed.txt:2:1: error:"), "\(listed)")
            #expect(!listed.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x07 }, "raw escapes: \(listed)")
            #expect(listed.contains("\\u{1b}"), "\(listed)")
        }
    }

    /// A 1 MiB policy of bad entries: a bounded report (it used to print one line per
    /// entry, 500,000 lines and 554 MB).
    @Test func hugePolicyOfBadEntriesGivesABoundedReport() throws {
        try Self.withFeed { directory, _ in
            var text = "version: 1\ninterface: mig0\nprofile: libvirt\ntrusted:\n  networks:\n"
            while text.utf8.count < 1_000_000 { text += "    - x\n" }
            let policy = directory + "/huge.yaml"
            try text.write(toFile: policy, atomically: true, encoding: .utf8)
            let (result, _) = try Self.bounded("check", policy)
            #expect(result.status == 2)
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.count < 200, "\(lines.count) lines")
            #expect(result.stdout.contains("more 'prefix' findings not shown") || result.stdout.contains("findings not shown"),
                    "\(result.stdout.suffix(500))")
        }
    }
}
