import Foundation
import Policy
import Prefix
import Testing

/// The lints on policies built in code, so each case states exactly what it holds.
@Suite struct LinterTests {
    static func prefix(_ text: String, line: Int = 1, file: String = "p.yaml") -> Located<AnyCIDR> {
        Located(try! PrefixParser.parse(text), at: .init(file: file, line: line, column: 1))
    }

    static func policy(
        networks: [String] = [], hosts: [String] = [], files: [String] = [], exclude: [String] = [],
        dedicated: Bool = true, authentication: Authentication? = .tls, allowBroad: Bool = false
    ) -> Policy {
        var trusted = TrustedSources()
        trusted.networks = networks.enumerated().map { prefix($1, line: 10 + $0) }
        trusted.hosts = hosts.enumerated().map { TrustedHost(name: nil, address: prefix($1, line: 20 + $0)) }
        trusted.filePrefixes = PrefixListEntries(files.enumerated().map { prefix($1, line: 1 + $0, file: "list.txt") })
        trusted.location = .init(file: "p.yaml", line: 9, column: 1)
        return Policy(
            path: "p.yaml", version: 1, interface: Located("mig0", at: .init(file: "p.yaml", line: 2, column: 12)),
            profile: Located(Profile(name: "libvirt", summary: "", ports: []), at: .init(file: "p.yaml", line: 3, column: 10)),
            dedicated: dedicated,
            authentication: authentication.map { Located($0, at: .init(file: "p.yaml", line: 5, column: 17)) },
            trusted: trusted, exclude: exclude.enumerated().map { prefix($1, line: 30 + $0) }, allowBroad: allowBroad)
    }

    static func ids(_ policy: Policy) -> [String] { PolicyLinter.lint(policy).map(\.id) }

    @Test func cleanPolicyHasNoFindings() {
        #expect(Self.ids(Self.policy(networks: ["10.1.0.0/24", "fd00:1::/64"], hosts: ["10.1.0.5"], exclude: ["10.1.0.1"])) == [])
    }

    @Test(arguments: [
        ("0.0.0.0/0", true), ("0.0.0.0/1", true), ("10.0.0.0/7", true), ("10.0.0.0/8", false),
        ("::/0", true), ("fc00::/7", true), ("fd00::/15", true), ("fd00::/16", false),
    ])
    func broadPrefixes(_ text: String, _ broad: Bool) {
        let dedicated = PolicyLinter.lint(Self.policy(networks: [text]))
        #expect(dedicated.contains { $0.id == "broad-prefix" && $0.severity == .error } == broad)
        let shared = PolicyLinter.lint(Self.policy(networks: [text], dedicated: false))
        #expect(shared.contains { $0.id == "broad-prefix" && $0.severity == .warning } == broad)
        let allowed = PolicyLinter.lint(Self.policy(networks: [text], allowBroad: true))
        #expect(!allowed.contains { $0.id == "broad-prefix" })
    }

    @Test func broadPrefixesInPrefixListsAreFoundToo() {
        let findings = PolicyLinter.lint(Self.policy(files: ["10.1.0.0/24", "0.0.0.0/0"]))
        let broad = findings.first { $0.id == "broad-prefix" }
        #expect(broad?.location.file == "list.txt")
        #expect(broad?.location.line == 2)
    }

    @Test(arguments: [
        ("10.1.0.0/24", false), ("172.16.5.0/24", false), ("172.32.0.0/24", true), ("192.168.1.0/24", false),
        ("100.64.1.0/24", false), ("192.0.2.0/24", false), ("8.8.8.0/24", true), ("11.0.0.0/8", true),
        ("fd00:1::/64", false), ("2001:db8:1::/48", false), ("2a00:1450::/32", true), ("fe80::/64", false),
    ])
    func publicSpaceInADedicatedNetwork(_ text: String, _ isPublic: Bool) {
        #expect(Self.ids(Self.policy(networks: [text])).contains("public-prefix") == isPublic)
        // Not dedicated: shared segments are public or private as they are; no lint.
        #expect(!Self.ids(Self.policy(networks: [text], dedicated: false)).contains("public-prefix"))
    }

    @Test func hostsOutsideEveryNetwork() {
        let findings = PolicyLinter.lint(Self.policy(networks: ["10.1.0.0/24"], hosts: ["10.1.0.5", "10.2.0.5", "fd00::5"]))
        #expect(findings.filter { $0.id == "host-outside-networks" }.map(\.location.line) == [21, 22])
        // With no networks at all there is nothing to be outside of.
        #expect(!Self.ids(Self.policy(hosts: ["10.2.0.5"])).contains("host-outside-networks"))
    }

    @Test func emptyTrustedSet() {
        let none = PolicyLinter.lint(Self.policy())
        #expect(none.map(\.id) == ["empty-trusted-set"])
        #expect(none.first?.severity == .error && none.first?.location.line == 9)
        let excluded = PolicyLinter.lint(Self.policy(networks: ["10.1.0.0/24", "fd00::/64"], exclude: ["10.1.0.0/24", "fd00::/63"]))
        #expect(excluded.map(\.id) == ["empty-trusted-set"])
        #expect(PolicyLinter.hasErrors(excluded))
        // One address left is enough.
        #expect(Self.ids(Self.policy(networks: ["10.1.0.0/31"], exclude: ["10.1.0.0"])) == [])
    }

    @Test func exclusionsThatExcludeNothing() {
        let findings = PolicyLinter.lint(Self.policy(
            networks: ["10.1.0.0/24"], exclude: ["10.1.0.1", "10.2.0.1", "10.1.0.128/25", "fd00::1"]))
        #expect(findings.filter { $0.id == "exclusion-unused" }.map(\.location.line) == [31, 33])
        #expect(findings.allSatisfy { $0.severity == .warning })
    }

    @Test func duplicatesAndOverlaps() {
        let findings = PolicyLinter.lint(Self.policy(
            networks: ["10.1.0.0/16", "10.1.2.0/24", "10.1.0.0/16"], hosts: ["10.1.2.3", "10.1.2.3"],
            files: ["10.1.2.0/24", "10.9.0.0/24"]))
        let rendered = findings.map { "\($0.id)@\($0.location.file):\($0.location.line)" }
        // The policy's own lines first, then other files.
        #expect(rendered == ["overlap@p.yaml:11", "duplicate@p.yaml:12", "duplicate@p.yaml:21", "duplicate@list.txt:1"])
        #expect(findings.allSatisfy { $0.severity == .info })
        // A host inside its network is how hosts are meant to be written: not an overlap.
        #expect(Self.ids(Self.policy(networks: ["10.1.0.0/24"], hosts: ["10.1.0.5"])) == [])
    }

    @Test func authentication() {
        #expect(Self.ids(Self.policy(networks: ["10.1.0.0/24"], authentication: .credssp)) == ["credssp"])
        #expect(Self.ids(Self.policy(networks: ["10.1.0.0/24"], dedicated: false, authentication: Authentication.none)) == ["unencrypted-transport"])
        #expect(Self.ids(Self.policy(networks: ["10.1.0.0/24"], authentication: Authentication.none)) == [])
        #expect(Self.ids(Self.policy(networks: ["10.1.0.0/24"], authentication: .kerberos)) == [])
    }

    @Test func largeFeedsAreCappedPerLint() {
        // 200 duplicated /24s: 200 findings of one id become 50 and one summary line.
        let list = (0..<200).map { "10.\($0 / 256).\($0 % 256).0/24" }
        let findings = PolicyLinter.lint(Self.policy(files: list + list))
        let duplicates = findings.filter { $0.id == "duplicate" }
        #expect(duplicates.count == PolicyLinter.maximumFindingsPerID + 1)
        #expect(duplicates.contains { $0.message == "150 more 'duplicate' findings not shown" })
        // The summary line carries what it stands for, so totals can count all 200.
        #expect(duplicates.reduce(0) { $0 + $1.weight } == 200)
    }

    @Test func hostRemovedByAnExclusionIsReported() {
        let policy = Self.policy(networks: ["10.0.0.0/24"], hosts: ["10.0.0.7"], exclude: ["10.0.0.0/29"])
        #expect(Self.ids(policy) == ["host-excluded"])
        #expect(Self.ids(Self.policy(networks: ["10.0.0.0/24"], hosts: ["10.0.0.9"], exclude: ["10.0.0.0/29"])) == [])
    }

    @Test func hostInsideANetworkFromFilesIsNotOutside() {
        #expect(Self.ids(Self.policy(hosts: ["10.1.0.5"], files: ["10.1.0.0/24"])) == [])
        #expect(Self.ids(Self.policy(hosts: ["10.2.0.5"], files: ["10.1.0.0/24"])) == ["host-outside-networks"])
    }

    @Test func allowBroadKeepsThePublicPrefixWarning() {
        var policy = Self.policy(networks: ["0.0.0.0/0"])
        policy.allowBroad = true
        #expect(Self.ids(policy) == ["public-prefix"])
    }
}


/// `PolicyLinter.errors` (the apply path) must refuse exactly what `lint` calls an error.
@Suite struct LinterErrorsOnlyTests {
    static let cases: [Policy] = [
        LinterTests.policy(networks: ["10.1.0.0/24"], hosts: ["10.9.0.5"], exclude: ["10.1.0.1", "10.7.0.0/16"]),
        LinterTests.policy(networks: ["0.0.0.0/0", "::/0", "10.0.0.0/7"]),
        LinterTests.policy(networks: ["0.0.0.0/0"], dedicated: false),
        LinterTests.policy(networks: ["10.1.0.0/24"], exclude: ["10.0.0.0/8"]),
        LinterTests.policy(),
        LinterTests.policy(files: (0..<120).map { "8.\($0).0.0/16" } + ["0.0.0.0/1", "10.0.0.0/8", "10.0.0.0/8"]),
        LinterTests.policy(files: (0..<70).map { "\($0 * 2).0.0.0/7" }),
        LinterTests.policy(files: (0..<70).map { "\($0 * 2).0.0.0/7" }, dedicated: false),
        LinterTests.policy(networks: ["0.0.0.0/0"], files: ["8.8.8.0/24", "16.0.0.0/4"], allowBroad: true),
        LinterTests.policy(networks: ["0.0.0.0/0"], files: ["16.0.0.0/4"], dedicated: false, allowBroad: true),
    ]

    @Test(arguments: cases.indices)
    func errorsAreTheErrorLevelLintFindings(_ index: Int) {
        let policy = Self.cases[index]
        let expected = PolicyLinter.lint(policy).filter { $0.severity == .error }
        #expect(PolicyLinter.errors(policy) == expected)
    }
}
