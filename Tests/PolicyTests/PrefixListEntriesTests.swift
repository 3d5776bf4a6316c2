import Policy
import Prefix
import Testing

/// The column-wise store of `trusted.files` entries: every entry keeps its own file, line and
/// column through appends across files and truncation.
@Suite struct PrefixListEntriesTests {
    static func cidr(_ text: String) -> AnyCIDR { try! PrefixParser.parse(text) }

    static func entries(_ file: String, _ prefixes: [String], firstLine: Int = 1) -> PrefixListEntries {
        var entries = PrefixListEntries()
        add(file, prefixes, firstLine: firstLine, to: &entries)
        return entries
    }

    static func add(_ file: String, _ prefixes: [String], firstLine: Int = 1, to entries: inout PrefixListEntries) {
        entries.beginFile(file)
        for (offset, text) in prefixes.enumerated() {
            entries.append(cidr(text), line: firstLine + offset, column: 1 + offset)
        }
    }

    @Test func locationsSurviveAppendsAcrossFiles() {
        var all = Self.entries("a.txt", ["10.0.0.0/24", "10.0.1.0/24"])
        Self.add("b.txt", ["10.0.2.0/24"], firstLine: 7, to: &all)
        Self.add("c.txt", ["10.0.3.0/24", "10.0.4.0/24", "10.0.5.0/24"], firstLine: 3, to: &all)
        #expect(all.count == 6)
        #expect(all.map(\.location.description) == [
            "a.txt:1:1", "a.txt:2:2", "b.txt:7:1", "c.txt:3:1", "c.txt:4:2", "c.txt:5:3",
        ])
        #expect(all.values == ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24", "10.0.4.0/24", "10.0.5.0/24"].map(Self.cidr))
        #expect(all[3] == Located(Self.cidr("10.0.3.0/24"), at: SourceLocation(file: "c.txt", line: 3, column: 1)))
    }

    @Test func truncationDropsWholeFilesAndTheirNames() {
        var all = Self.entries("a.txt", ["10.0.0.0/24", "10.0.1.0/24"])
        for (offset, text) in ["10.0.2.0/24", "10.0.3.0/24"].enumerated() {
            all.append(Self.cidr(text), file: "bad.txt", line: 1 + offset, column: 1)
        }
        all.truncate(to: 2)
        #expect(all == Self.entries("a.txt", ["10.0.0.0/24", "10.0.1.0/24"]))
        // The next file's entries are located in it, not in the dropped one.
        all.append(Self.cidr("10.0.9.0/24"), file: "c.txt", line: 4, column: 2)
        #expect(all.map(\.location.description) == ["a.txt:1:1", "a.txt:2:2", "c.txt:4:2"])
    }

    @Test func aFileWithNoGoodLinesLeavesNoTrace() {
        var all = Self.entries("a.txt", ["10.0.0.0/24"])
        all.beginFile("empty-or-bad.txt")
        all.truncate(to: 1)
        #expect(all == Self.entries("a.txt", ["10.0.0.0/24"]))
    }

    @Test func equalEntriesCompareEqualHoweverTheyWereBuilt() {
        var read = PrefixListEntries()
        read.beginFile("empty.txt")
        read.beginFile("a.txt")
        read.append(Self.cidr("10.0.0.0/24"), line: 1, column: 1)
        read.beginFile("a.txt")
        read.append(Self.cidr("10.0.1.0/24"), line: 2, column: 2)
        read.beginFile("trailing-empty.txt")
        let rebuilt = PrefixListEntries(Array(read))
        #expect(read == rebuilt)
        #expect(read.hashValue == rebuilt.hashValue)
        #expect(read == Self.entries("a.txt", ["10.0.0.0/24", "10.0.1.0/24"]))
    }

    @Test func builtFromLocatedValuesAndLiterals() {
        let located = [
            Located(Self.cidr("10.0.0.0/24"), at: SourceLocation(file: "x", line: 1, column: 1)),
            Located(Self.cidr("fd00::/64"), at: SourceLocation(file: "y", line: 9, column: 3)),
        ]
        let entries = PrefixListEntries(located)
        #expect(Array(entries) == located)
        let literal: PrefixListEntries = [located[0], located[1]]
        #expect(literal == entries)
    }
}
