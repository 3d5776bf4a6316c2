import Foundation
import Testing
@testable import Prefix

@Suite struct PrefixListReaderTests {
    let reader = PrefixListReader()

    func prefixes(_ text: String) throws -> [String] {
        try reader.parse(text).map(\.prefix.description)
    }

    func failure(_ text: String, reader: PrefixListReader = PrefixListReader()) -> PrefixListError? {
        do {
            _ = try reader.parse(text, source: "list.txt")
            return nil
        } catch {
            return error
        }
    }

    @Test func commentsBlanksAndWhitespaceAreTolerated() throws {
        let text = """
            # whole-line comment
            10.0.0.0/8
            \t 192.0.2.1 \t# trailing comment

               # indented comment
            2001:db8::/32\r
            198.51.100.0/24#no space before the comment\r
            \r
            203.0.113.7
            """
        #expect(try prefixes(text) == ["10.0.0.0/8", "192.0.2.1/32", "2001:db8::/32", "198.51.100.0/24", "203.0.113.7/32"])
    }

    @Test func linesAndColumnsOfEntries() throws {
        let entries = try reader.parse("\n# c\n  10.0.0.0/8\n\t::1\n")
        #expect(entries.map(\.line) == [3, 4])
        #expect(entries.map(\.column) == [3, 2])
    }

    @Test func emptyAndCommentOnlyListsHaveNoEntries() throws {
        #expect(try prefixes("").isEmpty)
        #expect(try prefixes("\n\n  \n").isEmpty)
        #expect(try prefixes("# nothing\n#\n").isEmpty)
    }

    @Test func byteOrderMarkAndMissingFinalNewline() throws {
        #expect(try prefixes("\u{FEFF}10.0.0.0/8\n10.1.0.0/16") == ["10.0.0.0/8", "10.1.0.0/16"])
        #expect(try reader.parse("\u{FEFF}10.0.0.0/8").first?.column == 1)
    }

    @Test func parseErrorNamesLineAndColumn() throws {
        let error = try #require(failure("10.0.0.0/8\n\n   10.0.0.1/24\n"))
        #expect(error.line == 3 && error.column == 4)
        #expect(error.description.hasPrefix("list.txt:3:4: error: '10.0.0.1/24' has host bits set"))
        #expect(error.description.contains("list.txt:3:4: note: did you mean 10.0.0.0/24"))
        guard case .invalidPrefix(let parseError) = error.reason else { Issue.record("wrong reason"); return }
        #expect(parseError.hint == error.hint)
    }

    @Test func columnPointsInsideThePrefix() throws {
        // The bad octet starts 6 bytes into the prefix, which starts at column 3.
        let error = try #require(failure("# header\n  1.2.3.256\n"))
        #expect(error.line == 2 && error.column == 9)
        #expect(error.message == "'1.2.3.256' has an IPv4 octet above 255")
    }

    @Test func textAfterThePrefixIsAnError() throws {
        let error = try #require(failure("10.0.0.0/8 10.1.0.0/16 # two\n"))
        #expect(error.line == 1 && error.column == 12)
        #expect(error.reason == .trailingText("10.1.0.0/16"))
        // A comma is part of the token, so it is a bad length (column of "8,"), not trailing text.
        let comma = try #require(failure("10.0.0.0/8,\n"))
        #expect(comma.column == 10)
        #expect(comma.message.contains("invalid prefix length"))
    }

    @Test func longGarbageIsQuotedShortly() throws {
        let error = try #require(failure("10.0.0.0/8\n" + String(repeating: "x", count: 100_000) + "\n"))
        #expect(error.line == 2 && error.column == 1)
        #expect(error.description.count < 300)
    }

    @Test func lenientReaderMasksHostBits() throws {
        let lenient = PrefixListReader(hostBits: .mask)
        #expect(try lenient.parse("10.0.0.1/24\n2001:db8::1/64\n").map(\.prefix.description) == ["10.0.0.0/24", "2001:db8::/64"])
        #expect(failure("10.0.0.1/24", reader: lenient) == nil)
    }

    @Test func readsFilesAndRejectsOversizedOnes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prefix-reader-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("list.txt").path
        try "10.0.0.0/24\n10.0.1.0/24\n".write(toFile: path, atomically: true, encoding: .utf8)

        let entries = try PrefixListReader.read(path: path)
        #expect(entries == [PrefixListEntry(prefix: .v4(CIDR(address: IPv4Address(10, 0, 0, 0), length: 24)!), line: 1, column: 1),
                            PrefixListEntry(prefix: .v4(CIDR(address: IPv4Address(10, 0, 1, 0), length: 24)!), line: 2, column: 1)])

        var aggregator = PrefixAggregator()
        try reader.add(.file(path), to: &aggregator)
        #expect(aggregator.aggregate().ipv4CIDRs.map(\.description) == ["10.0.0.0/23"])

        let small = PrefixListReader(sizeLimit: 10)
        #expect(throws: PrefixListError(.tooLarge(limit: 10), source: path)) { try small.read(.file(path)) }
        #expect(PrefixListReader.defaultSizeLimit == 256 << 20)

        let missing = directory.appendingPathComponent("missing.txt").path
        #expect(throws: PrefixListError(.unreadable("no such file"), source: missing)) { try PrefixListReader.read(path: missing) }
        #expect(throws: PrefixListError(.unreadable("is a directory"), source: directory.path)) {
            try PrefixListReader.read(path: directory.path)
        }
    }

    @Test func manyLinesKeepOrderAndNumbers() throws {
        let lines = (0..<100_000).map { "10.\($0 >> 8 & 0xff).\($0 & 0xff).\($0 % 2 == 0 ? "0/31" : "1")" }
        let entries = try reader.parse(lines.joined(separator: "\n"))
        #expect(entries.count == 100_000)
        #expect(entries.last?.line == 100_000)
        #expect(entries[12_345].prefix.description == "10.48.57.1/32")
    }
}
