import Foundation
import Testing
import TestSupport

/// `migfw aggregate` run as a binary: output order and formats, stdin, exclusions, errors.
@Suite struct AggregateTests {
    /// A scratch directory with the given files, removed afterwards.
    func withFiles<T>(_ files: [String: String], _ body: (URL) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("migfw-aggregate-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, text) in files {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return try body(directory)
    }

    @Test func mergesFilesIPv4FirstThenIPv6Ascending() throws {
        let files = [
            "a.txt": "# fleet\n2001:db8:1::/48\n10.0.0.0/25\n192.0.2.1\n",
            "b.txt": "10.0.0.128/25   # other half\nfd00::1\n2001:0DB8:0000::/48\n10.0.0.7\n",
        ]
        try withFiles(files) { directory in
            let result = try migfw(["aggregate", directory.appendingPathComponent("a.txt").path,
                                    directory.appendingPathComponent("b.txt").path])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == "10.0.0.0/24\n192.0.2.1/32\n2001:db8::/47\nfd00::1/128\n")
            #expect(result.stderr.isEmpty)
        }
    }

    @Test func readsStandardInputWithoutFiles() throws {
        let result = try migfw(["aggregate"], input: "10.0.0.3\n10.0.0.2\r\n\n::ffff:10.0.0.1\n")
        #expect(result.status == 0)
        #expect(result.stdout == "10.0.0.2/31\n::ffff:10.0.0.1/128\n")
        let dash = try migfw(["aggregate", "-"], input: "192.0.2.0/24\n")
        #expect(dash.stdout == "192.0.2.0/24\n")
    }

    @Test func exclusionsAndFormats() throws {
        try withFiles(["in.txt": "10.0.0.0/8\n2001:db8::/32\n", "out.txt": "10.1.2.3\n2001:db8::/33\n"]) { directory in
            let arguments = ["aggregate", directory.appendingPathComponent("in.txt").path,
                             "--exclude", directory.appendingPathComponent("out.txt").path]
            let cidr = try migfw(arguments)
            #expect(cidr.status == 0)
            let lines = cidr.stdout.split(separator: "\n")
            #expect(lines.count == 25)
            #expect(lines.first == "10.0.0.0/16" && lines.contains("10.1.2.2/32") && !lines.contains("10.1.2.3/32"))
            #expect(lines.last == "2001:db8:8000::/33")

            let range = try migfw(arguments + ["--format", "range"])
            #expect(range.stdout == "10.0.0.0-10.1.2.2\n10.1.2.4-10.255.255.255\n"
                                  + "2001:db8:8000::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\n")
            let count = try migfw(arguments + ["--format", "count"])
            #expect(count.stdout == "ipv4 prefixes=24 ranges=2 addresses=16777215\n"
                                  + "ipv6 prefixes=1 ranges=1 addresses=39614081257132168796771975168\n")
        }
    }

    @Test func everythingExcludedPrintsNothing() throws {
        try withFiles(["out.txt": "0.0.0.0/0\n"]) { directory in
            let result = try migfw(["aggregate", "--exclude", directory.appendingPathComponent("out.txt").path],
                                   input: "10.0.0.0/8\n")
            #expect(result.status == 0)
            #expect(result.stdout.isEmpty)
        }
    }

    @Test func parseErrorNamesFileLineColumnAndExits2() throws {
        try withFiles(["good.txt": "10.0.0.0/8\n", "bad.txt": "# list\n10.0.0.0/8\n  192.168.1.0/16\n"]) { directory in
            let bad = directory.appendingPathComponent("bad.txt").path
            let result = try migfw(["aggregate", directory.appendingPathComponent("good.txt").path, bad])
            #expect(result.status == 2)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("\(bad):3:3: error: '192.168.1.0/16' has host bits set"))
            #expect(result.stderr.contains("192.168.0.0/16") && result.stderr.contains("192.168.1.0/24"))
        }
    }

    @Test func lenientMasksHostBits() throws {
        let strict = try migfw(["aggregate"], input: "10.0.0.1/24\n")
        #expect(strict.status == 2)
        #expect(strict.stderr.contains("<stdin>:1:1: error:"))
        let lenient = try migfw(["aggregate", "--lenient"], input: "10.0.0.1/24\n10.0.1.9/24\n")
        #expect(lenient.status == 0)
        #expect(lenient.stdout == "10.0.0.0/23\n")
    }

    @Test func errorsInExclusionListsAndMissingFilesExit2() throws {
        try withFiles(["out.txt": "10.0.0.0/8\n\n1.2.3\n"]) { directory in
            let out = directory.appendingPathComponent("out.txt").path
            let result = try migfw(["aggregate", "--exclude", out], input: "10.0.0.0/8\n")
            #expect(result.status == 2)
            #expect(result.stderr.contains("\(out):3:"))
            let missing = directory.appendingPathComponent("nope.txt").path
            let absent = try migfw(["aggregate", missing])
            #expect(absent.status == 2)
            #expect(absent.stderr.contains("\(missing): error: cannot read: no such file"))
        }
    }

    @Test func trailingTextIsReportedWithItsColumn() throws {
        let result = try migfw(["aggregate"], input: "10.0.0.0/8\n10.1.0.0/16 10.2.0.0/16\n")
        #expect(result.status == 2)
        #expect(result.stderr.contains("<stdin>:2:13: error: unexpected '10.2.0.0/16' after the prefix"))
    }

    @Test func largeInputRoundTrips() throws {
        // 20,000 /32s covering 10.0.0.0-10.0.78.31 exactly, shuffled: one range, few prefixes.
        let lines = (0..<20_000).map { "10.0.\($0 / 256).\($0 % 256)" }.shuffled()
        let result = try migfw(["aggregate", "--format", "range"], input: lines.joined(separator: "\n") + "\n")
        #expect(result.status == 0)
        #expect(result.stdout == "10.0.0.0-10.0.78.31\n")
    }
}
