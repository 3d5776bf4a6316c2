@testable import Audit
import Policy
import Prefix
import Testing

/// Xen: XAPI's migration-https-only, xend's relocation servers, and xl's ssh.
@Suite struct XenAuditTests {
    static let xapi = "/etc/xapi.conf"
    static let xend = "/etc/xen/xend-config.sxp"

    /// The findings in `file` (under the root) as `id severity line`, sorted, for compact assertions.
    func summary(_ report: AuditReport, _ root: FakeRoot, _ file: String) -> [String] {
        report.findings.filter { $0.file == root.path + file }
            .map { "\($0.id) \($0.severity.rawValue) \($0.line.map(String.init) ?? "-")" }.sorted()
    }

    func xen(_ files: [String: String], interface: [InterfaceAddress]? = migrationNIC) throws -> (AuditReport, FakeRoot) {
        let root = try FakeRoot()
        for (path, text) in files { try root.write(path, text) }
        return (try audit(try Repo.policy("xen.yaml"), root, interface: interface), root)
    }

    // MARK: XAPI

    @Test(arguments: [
        "migration-https-only = false",
        "migration-https-only=false",
        "  migration-https-only = \"false\"  ",
        "migration-https-only = 'false' # while testing",
    ])
    func httpsOnlyFalseIsAnError(_ line: String) throws {
        let (report, root) = try xen([Self.xapi: "# xapi\nlog = syslog\n\(line)\n"])
        #expect(summary(report, root, Self.xapi) == ["migration-https-disabled error 3"])
        #expect(report.findings[0].setting == "migration-https-only")
    }

    @Test func httpsOnlyTrueOrUnsetRaisesNothing() throws {
        let (set, setRoot) = try xen([Self.xapi: "migration-https-only = true\n"])
        #expect(set.findings.isEmpty, "\(set.findings)")
        #expect(summary(set, setRoot, Self.xapi).isEmpty)
        let (unset, _) = try xen([Self.xapi: "# migration-https-only = false\n"])
        #expect(unset.findings.isEmpty, "a commented-out line is no setting")
    }

    @Test(arguments: ["yes", "False", "0", "\"\"", "on"])
    func onlyTrueAndFalseAreBooleans(_ value: String) throws {
        let (report, root) = try xen([Self.xapi: "migration-https-only = \(value)\n"])
        #expect(summary(report, root, Self.xapi) == ["invalid-value error 1"])
        #expect(report.findings[0].message.contains("will not parse"))
    }

    @Test func anInvalidValueStopsTheReadSoLaterLinesDoNotCount() throws {
        let (report, root) = try xen([Self.xapi: "migration-https-only = nope\nmigration-https-only = false\n"])
        #expect(summary(report, root, Self.xapi) == ["invalid-value error 1"])
    }

    @Test func fragmentsOverrideInSortedOrder() throws {
        let (overridden, _) = try xen([
            Self.xapi: "migration-https-only = false\n",
            "/etc/xapi.conf.d/10-secure.conf": "migration-https-only = true\n",
        ])
        #expect(overridden.findings.isEmpty, "\(overridden.findings)")

        let (last, root) = try xen([
            Self.xapi: "migration-https-only = true\n",
            "/etc/xapi.conf.d/20-lab.conf": "\nmigration-https-only = false\n",
            "/etc/xapi.conf.d/10-secure.conf": "migration-https-only = true\n",
        ])
        #expect(summary(last, root, "/etc/xapi.conf.d/20-lab.conf") == ["migration-https-disabled error 2"])
        #expect(last.findings.count == 1)
    }

    @Test func fragmentsAloneMeanXapiIsThere() throws {
        let (report, _) = try xen(["/etc/xapi.conf.d/00-site.conf": "migration-https-only = true\n"])
        #expect(report.findings.isEmpty, "no xl-over-ssh note: \(report.findings)")
    }

    @Test func aHostileFragmentIsRefusedAsIs() throws {
        let root = try FakeRoot()
        try root.write(Self.xapi, "migration-https-only = true\n")
        try root.link("/etc/xapi.conf.d/evil.conf", to: "/../../../../etc/shadow")
        let report = try audit(try Repo.policy("xen.yaml"), root)
        #expect(report.findings.map(\.id) == ["unreadable-config"])
        #expect(report.findings[0].file == root.path + "/etc/xapi.conf.d/evil.conf")
    }

    // MARK: xend

    @Test func thePlainRelocationServerOpenToAll() throws {
        let sxp = """
            # xend
            (xend-http-server no)
            (xend-relocation-server yes)
            (xend-relocation-port 8012)
            (xend-relocation-address '')
            (xend-relocation-hosts-allow '')

            """
        let (report, root) = try xen([Self.xend: sxp])
        #expect(summary(report, root, Self.xend) == [
            "xend-relocation-all-interfaces warning 5", "xend-relocation-any-host error 6", "xend-relocation-plain error 3",
        ])
        let plain = try #require(report.findings.first { $0.id == "xend-relocation-plain" })
        #expect(plain.message.contains("TCP 8012") && plain.message.contains("no authentication, no encryption"))
    }

    @Test func unsetAllowListAndAddressAreReportedAtTheServerLine() throws {
        let (report, root) = try xen([Self.xend: "(logfile /var/log/xen/xend.log)\n(xend-relocation-server 'Yes')\n"])
        #expect(summary(report, root, Self.xend) == [
            "xend-relocation-all-interfaces warning 2", "xend-relocation-any-host error 2", "xend-relocation-plain error 2",
        ])
    }

    @Test func theSSLServerWithAnAllowListOnTheMigrationNICIsFine() throws {
        let sxp = """
            (xend-relocation-server no)
            (xend-relocation-ssl-server yes)
            (xend-relocation-address 192.168.60.5)
            (xend-relocation-hosts-allow '^192\\\\.168\\\\.60\\\\.11$ ^pve2$')
            (xend-relocation-hosts-allow '')

            """
        let (report, root) = try xen([Self.xend: sxp])
        #expect(summary(report, root, Self.xend).isEmpty, "the first hosts-allow counts: \(report.findings)")
    }

    @Test func anAddressOffTheMigrationNICIsAnError() throws {
        let sxp = "(xend-relocation-ssl-server yes)\n(xend-relocation-hosts-allow '^peer$')\n(xend-relocation-address 10.0.0.5)\n"
        let (report, root) = try xen([Self.xend: sxp])
        #expect(summary(report, root, Self.xend) == ["xend-relocation-address-elsewhere error 3"])
        let (unknown, unknownRoot) = try xen([Self.xend: sxp], interface: nil)
        #expect(summary(unknown, unknownRoot, Self.xend).isEmpty, "no NIC, nothing to compare with")
    }

    @Test func anAddressNameResolvesThroughTheRootsHostsFile() throws {
        let sxp = "(xend-relocation-ssl-server yes)\n(xend-relocation-hosts-allow '^peer$')\n(xend-relocation-address xen-mig)\n"
        let (on, onRoot) = try xen([Self.xend: sxp, "/etc/hosts": "192.168.60.5 xen-mig\n"])
        #expect(summary(on, onRoot, Self.xend).isEmpty)
        let (off, offRoot) = try xen([Self.xend: sxp, "/etc/hosts": "10.0.0.5 xen-mig\n"])
        #expect(summary(off, offRoot, Self.xend) == ["xend-relocation-address-elsewhere error 3"])
        let (unknown, unknownRoot) = try xen([Self.xend: sxp])
        #expect(summary(unknown, unknownRoot, Self.xend).isEmpty, "an unresolved name is not guessed at")
    }

    @Test func serversOffRaiseNothing() throws {
        let (report, _) = try xen([Self.xend: "(xend-relocation-server no)\n(xend-relocation-hosts-allow '')\n"])
        #expect(report.findings.isEmpty, "\(report.findings)")
    }

    @Test func aBooleanXendCannotReadIsAnError() throws {
        let (report, root) = try xen([Self.xend: "(xend-relocation-server maybe)\n"])
        #expect(summary(report, root, Self.xend) == ["invalid-value error 1"])
    }

    @Test(arguments: [
        ("(xend-relocation-server yes\n(xend-relocation-port 8002)\n", 1),
        ("(xend-relocation-server yes)\n)\n", 2),
        ("(a b)\n(xend-relocation-hosts-allow '^x$)\n(c d)\n", 2),
        ("(a (b\n c)\n", 1),
    ])
    func unbalancedParenthesesAndQuotesAreSyntaxErrors(_ text: String, _ line: Int) throws {
        let (report, root) = try xen([Self.xend: text])
        #expect(summary(report, root, Self.xend) == ["config-syntax error \(line)"])
    }

    @Test func theSxpParserKeepsTopLevelPairsAndSkipsComments() {
        let config = XenSxpConfig("# (xend-relocation-server yes)\n(a 'x # y') (b (c d))\n(e \"q\\\"r\")\n(f)\n")
        #expect(config.syntaxError == nil)
        #expect(config.settings.map(\.name) == ["a", "b", "e", "f"])
        #expect(config.settings.map(\.value) == ["x # y", nil, "q\"r", nil])
        #expect(config.settings.map(\.line) == [2, 2, 3, 4])
        #expect(config.setting("xend-relocation-server") == nil)
    }

    // MARK: xl

    @Test func withNeitherToolstackXlMigratesOverSSH() throws {
        let policy = try Repo.policy("xen.yaml")
        let (report, _) = try xen(["/etc/xen/xl.conf": "autoballoon=\"off\"\n"])
        #expect(report.findings.map(\.id) == ["xl-over-ssh"])
        #expect(report.findings[0].severity == .info)
        #expect(report.findings[0].file == policy.path)
        #expect(report.findings[0].line == policy.profile.location.line)
    }
}
