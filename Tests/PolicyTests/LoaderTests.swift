import Foundation
@testable import Policy
import Prefix
import Testing

/// Loader behaviour the corpus cannot show with a small static file.
@Suite struct LoaderTests {
    static let valid = "version: 1\ninterface: mig0\nprofile: libvirt\ntrusted:\n  networks: [10.1.0.0/24]\n"

    @Test func oversizedFileIsRefusedBeforeParsing() throws {
        let scratch = try ScratchDirectory()
        let padding = String(repeating: "# padding to pass the size limit\n", count: PolicyLoader.maximumPolicyBytes / 32 + 1)
        let errors = try loadErrors(Self.valid + padding, in: scratch)
        #expect(errors.map(\.id) == ["too-large"])
        #expect(errors.first?.message.contains("above the limit of \(PolicyLoader.maximumPolicyBytes) bytes") == true)
    }

    @Test func invalidUTF8NamesItsLine() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.url.appendingPathComponent("policy.yaml")
        try (Data(Self.valid.utf8) + Data([0x23, 0x20, 0xff, 0x0a])).write(to: path)
        do {
            _ = try PolicyLoader.load(path: path.path, profiles: Repo.profiles)
            Issue.record("loaded a file that is not UTF-8")
        } catch {
            #expect(error.findings.map(\.id) == ["encoding"])
            #expect(error.findings.first?.location.line == 6)
            #expect(error.findings.first?.location.column == 3)
        }
    }

    @Test func directoryIsNotAPolicy() throws {
        let scratch = try ScratchDirectory()
        do {
            _ = try PolicyLoader.load(path: scratch.url.path, profiles: Repo.profiles)
            Issue.record("loaded a directory")
        } catch {
            #expect(error.findings.map(\.id) == ["unreadable"])
        }
    }

    @Test func everyDuplicateOfAKeyIsReported() throws {
        let scratch = try ScratchDirectory()
        let errors = try loadErrors(Self.valid + "egress: true\negress: false\negress: true\nlog: {drops: true, drops: false}\n", in: scratch)
        #expect(errors.map { "\($0.location.line):\($0.location.column) \($0.message)" } == [
            "7:1 egress: duplicate key (first written at line 6)",
            "8:1 egress: duplicate key (first written at line 6)",
            "9:20 log.drops: duplicate key (first written at line 9)",
        ])
    }

    @Test func errorDescriptionIsCompilerStyle() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("policy.yaml", "version: 1\ninterface: mig0\nprofile: libvirt\ndedicated: maybe\n")
        do {
            _ = try PolicyLoader.load(path: path, profiles: Repo.profiles)
            Issue.record("loaded an invalid policy")
        } catch {
            #expect(error.description == """
                \(path):4:12: error: dedicated: expected true or false, found 'maybe'
                \(path):4:12: note: write true or false (YAML 1.1 spellings such as yes, no, on, off are not accepted)
                """)
        }
    }

    @Test func ipv6ColumnsPointInsideQuotedValues() throws {
        let scratch = try ScratchDirectory()
        let errors = try loadErrors(
            "version: 1\ninterface: mig0\nprofile: libvirt\ntrusted:\n  networks: [\"2001:db8::1/64\"]\n", in: scratch)
        #expect(errors.map(\.message) == ["trusted.networks[0]: '2001:db8::1/64' has host bits set past the prefix length"])
        #expect(errors.first?.location.column == 15)
        #expect(errors.first?.hint == "did you mean 2001:db8::/64 (the whole network) or 2001:db8::1/128 (the smaller one)?")
    }

    @Test func defaultsWhenOptionalKeysAreAbsent() throws {
        let scratch = try ScratchDirectory()
        let policy = try loadPolicy(Self.valid, in: scratch)
        #expect(policy.version == 1)
        #expect(policy.dedicated)
        #expect(!policy.egress)
        #expect(!policy.allowBroad)
        #expect(policy.authentication == nil)
        #expect(policy.performance == nil)
        #expect(policy.log == LogOptions())
        #expect(policy.interface.location.line == 2 && policy.interface.location.column == 12)
    }

    @Test func portSyntax() throws {
        let scratch = try ScratchDirectory()
        let policy = try loadPolicy(
            "version: 1\ninterface: mig0\nprofile: custom\nports: [6600, \"49152-49215\", udp/5000, tcp/16509, 65535, 1-1]\ntrusted: {networks: [10.1.0.0/24]}\n",
            in: scratch)
        #expect(policy.ports.map(\.value.description) == ["tcp/6600", "tcp/49152-49215", "udp/5000", "tcp/16509", "tcp/65535", "tcp/1"])
        #expect(policy.ports.map(\.location.column) == [9, 15, 30, 40, 51, 58])
    }

    @Test(arguments: [
        ("a", true), ("mig0", true), ("bond0.100", true), ("abcdefghijklmno", true),
        ("abcdefghijklmnop", false), (".", false), ("..", false), ("a/b", false), ("a b", false),
        ("a\tb", false), ("eth0:1", false), ("", false),
    ])
    func interfaceNames(_ name: String, _ valid: Bool) throws {
        let scratch = try ScratchDirectory()
        let quoted = "\"" + name.replacingOccurrences(of: "\t", with: "\\t") + "\""
        let errors = try loadErrors(
            "version: 1\ninterface: \(quoted)\nprofile: libvirt\ntrusted: {networks: [10.1.0.0/24]}\n", in: scratch)
        #expect(errors.isEmpty == valid, "\(errors)")
        if !valid { #expect(errors.map(\.id) == ["interface"]) }
    }

    @Test func prefixFilesGlobRelativeToThePolicySortedWithoutHiddenFiles() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("lists/b.txt", "10.2.0.0/24\n")
        try scratch.write("lists/a.txt", "# first\n10.1.0.0/24\n\n10.1.1.0/24 # trailing comment\n")
        try scratch.write("lists/.hidden.txt", "10.9.0.0/24\n")
        try scratch.write("lists/c.csv", "10.3.0.0/24\n")
        let policy = try loadPolicy(
            "version: 1\ninterface: mig0\nprofile: libvirt\ntrusted:\n  files: [lists/*.txt, /nonexistent/*.txt]\n", in: scratch)
        #expect(policy.trusted.filePrefixes.map(\.value.description) == ["10.1.0.0/24", "10.1.1.0/24", "10.2.0.0/24"])
        #expect(policy.trusted.filePrefixes.map(\.location.line) == [2, 4, 1])
        #expect(policy.trusted.unmatchedFiles.map(\.value) == ["/nonexistent/*.txt"])
        let lints = PolicyLinter.lint(policy)
        #expect(lints.map(\.id) == ["files-unmatched"])
        #expect(lints.first?.location.column == 24)
    }

    @Test func badPrefixFileNamesTheFileLineAndColumnAndTheGlobStaysAPolicyError() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("peers.txt", "10.1.0.0/24\n10.1.1.0/24 10.1.2.0/24\n")
        let errors = try loadErrors(
            "version: 1\ninterface: mig0\nprofile: libvirt\ndedicated: nope\ntrusted:\n  files: [peers.txt]\n", in: scratch)
        // Policy file first, then the list file.
        #expect(errors.map(\.id) == ["type", "prefix-list"])
        let listError = try #require(errors.last)
        #expect(listError.location.file.hasSuffix("/peers.txt"))
        #expect(listError.location.line == 2 && listError.location.column == 13)
    }

    @Test func aHostMayBeWrittenAsASlash32() throws {
        let scratch = try ScratchDirectory()
        let policy = try loadPolicy(
            "version: 1\ninterface: mig0\nprofile: libvirt\ntrusted:\n  hosts: [10.1.0.5/32, \"fd00::5/128\", {address: 10.1.0.6}]\n",
            in: scratch)
        #expect(policy.trusted.hosts.map(\.address.value.description) == ["10.1.0.5/32", "fd00::5/128", "10.1.0.6/32"])
        #expect(policy.trusted.hosts.map(\.name) == [nil, nil, nil])
    }

    @Test func anchorLikeTextInStringsAndCommentsIsText() throws {
        let scratch = try ScratchDirectory()
        let policy = try loadPolicy(
            "# &not-an-anchor *nor-an-alias\nversion: 1\ninterface: mig0\nprofile: libvirt\ntrusted:\n  hosts: [{name: \"*star & co\", address: 10.1.0.5}, {name: R &D *lab, address: 10.1.0.6}]\n  networks: [10.1.0.0/24] # *x\n",
            in: scratch)
        #expect(policy.trusted.hosts.map(\.name) == ["*star & co", "R &D *lab"])
    }
}

/// A prefix-list file with a bad line contributes no prefixes, wherever it comes in the
/// order of files (the entries of the files before it stay, located in their own files).
@Suite struct PrefixFileOrderTests {
    @Test func badFileBetweenGoodFilesContributesNothing() throws {
        let scratch = try ScratchDirectory()
        let a = try scratch.write("lists/a.txt", "10.1.0.0/24\n10.1.1.0/24\n")
        let b = try scratch.write("lists/b.txt", "10.2.0.0/24\n10.2.1.0/33\n")
        let c = try scratch.write("lists/c.txt", "\n10.3.0.0/24\n")
        var entries = PrefixListEntries()
        #expect(PrefixListFile.read(path: a, into: &entries).isEmpty)
        let bad = PrefixListFile.read(path: b, into: &entries)
        #expect(bad.map(\.location.line) == [2])
        #expect(PrefixListFile.read(path: c, into: &entries).isEmpty)
        #expect(entries.map(\.value.description) == ["10.1.0.0/24", "10.1.1.0/24", "10.3.0.0/24"])
        #expect(entries.map { "\(($0.location.file as NSString).lastPathComponent):\($0.location.line)" }
                == ["a.txt:1", "a.txt:2", "c.txt:2"])
    }
}
