@testable import Audit
import Policy
import Prefix
import Testing

/// Proxmox VE: datacenter.cfg's migration type and network, the corosync nodes against the
/// trusted set, and pve-firewall's management set.
@Suite struct ProxmoxAuditTests {
    static let datacenter = "/etc/pve/datacenter.cfg"
    static let corosync = "/etc/pve/corosync.conf"
    static let clusterFirewall = "/etc/pve/firewall/cluster.fw"
    /// A datacenter.cfg that raises nothing, for tests about the other files.
    static let quietDatacenter = "migration: secure,network=192.168.60.0/24\n"

    /// The findings in `file` (under the root) as `id severity line`, sorted, for compact assertions.
    func summary(_ report: AuditReport, _ root: FakeRoot, _ file: String) -> [String] {
        report.findings.filter { $0.file == root.path + file }
            .map { "\($0.id) \($0.severity.rawValue) \($0.line.map(String.init) ?? "-")" }.sorted()
    }

    func proxmox(_ files: [String: String], policy: String = "proxmox-ssh.yaml",
                 interface: [InterfaceAddress]? = migrationNIC, host: [AnyCIDR] = []) throws -> (AuditReport, FakeRoot) {
        let root = try FakeRoot()
        for (path, text) in files { try root.write(path, text) }
        return (try audit(try Repo.policy(policy), root, interface: interface, host: host), root)
    }

    // MARK: datacenter.cfg

    @Test func insecureTypeIsAnErrorWhenThePolicyWantsAuthentication() throws {
        let (report, root) = try proxmox([Self.datacenter: "# cluster\nkeyboard: en-us\nmigration: insecure,network=192.168.60.0/24\n"])
        #expect(summary(report, root, Self.datacenter) == ["migration-insecure error 3"])
        #expect(report.findings.first?.message.contains("policy asks for ssh") == true)
        #expect(report.findings.first?.setting == "migration")
    }

    @Test func insecureTypeIsOnlyAnInfoWhenThePolicySaysNone() throws {
        let (report, root) = try proxmox([Self.datacenter: "migration: type=insecure,network=192.168.60.0/24\n"],
                                         policy: "proxmox-none.yaml")
        #expect(summary(report, root, Self.datacenter) == ["migration-insecure info 1"])
    }

    @Test func legacyUnsecureCountsOnlyWithoutAType() throws {
        let (legacy, legacyRoot) = try proxmox([Self.datacenter: "migration_unsecure: 1\nmigration: network=192.168.60.0/24\n"])
        #expect(summary(legacy, legacyRoot, Self.datacenter) == ["migration-insecure error 1"])
        #expect(legacy.findings.first?.setting == "migration_unsecure")

        let (typed, typedRoot) = try proxmox([Self.datacenter: "migration_unsecure: yes\nmigration: secure,network=192.168.60.0/24\n"])
        #expect(summary(typed, typedRoot, Self.datacenter).isEmpty)

        let (off, offRoot) = try proxmox([Self.datacenter: "migration_unsecure: 0\nmigration: network=192.168.60.0/24\n"])
        #expect(summary(off, offRoot, Self.datacenter).isEmpty)
    }

    @Test func legacyUnsecureThatIsNoBooleanIsDropped() throws {
        let (report, root) = try proxmox([Self.datacenter: "migration: network=192.168.60.0/24\nmigration_unsecure: maybe\n"])
        #expect(summary(report, root, Self.datacenter) == ["invalid-setting warning 2"])
    }

    @Test func theLastMigrationLineWinsAndEarlierOnesAreReported() throws {
        let (secureLast, secureRoot) = try proxmox([Self.datacenter: "migration: insecure\nmigration: secure,network=192.168.60.0/24\n"])
        #expect(summary(secureLast, secureRoot, Self.datacenter) == ["repeated-setting warning 1"])
        #expect(secureLast.findings[0].message.contains("line 2"))

        let (insecureLast, insecureRoot) = try proxmox([Self.datacenter: "migration: secure,network=192.168.60.0/24\nmigration: insecure,network=192.168.60.0/24\n"])
        #expect(summary(insecureLast, insecureRoot, Self.datacenter) == ["migration-insecure error 2", "repeated-setting warning 1"])
    }

    @Test(arguments: [
        ("migration: fast", "neither secure nor insecure"),
        ("migration: secure,network=10.1.2.0", "not a CIDR"),
        ("migration: secure,network=10.1.2.0/33", "not a CIDR"),
        ("migration: secure,speed=10", "not a property of migration"),
        ("migration: secure,type=insecure", "type is given twice"),
    ])
    func invalidMigrationValuesFallBackToTheDefaults(_ line: String, _ reason: String) throws {
        let (report, root) = try proxmox([Self.datacenter: line + "\n"])
        #expect(summary(report, root, Self.datacenter) == ["invalid-setting warning 1", "migration-network-unset warning 1"])
        let invalid = try #require(report.findings.first { $0.id == "invalid-setting" })
        #expect(invalid.message.contains(reason), "\(invalid.message)")
        #expect(invalid.message.contains("defaults"))
        #expect(!report.findings.contains { $0.id == "migration-insecure" })
    }

    @Test func aLineThatIsNotKeyValueIsReported() throws {
        let (report, root) = try proxmox([Self.datacenter: "migration insecure\n" + Self.quietDatacenter])
        #expect(summary(report, root, Self.datacenter) == ["invalid-setting warning 1"])
    }

    @Test func noMigrationLineMeansSecureOverTheClusterNetwork() throws {
        let (report, root) = try proxmox([Self.datacenter: "keyboard: de\n"])
        #expect(summary(report, root, Self.datacenter) == ["migration-network-unset warning -"])
        #expect(report.findings[0].fix?.contains("network=192.168.60.0/24") == true)
    }

    @Test func aNetworkWithoutTheMigrationNICsAddressesIsElsewhere() throws {
        let files = [Self.datacenter: "migration: secure,network=10.1.2.0/24\n"]
        let (report, root) = try proxmox(files)
        #expect(summary(report, root, Self.datacenter) == ["migration-network-elsewhere warning 1"])
        #expect(report.findings[0].message.contains("192.168.60.5/24"))

        let (unknown, unknownRoot) = try proxmox(files, interface: nil)
        #expect(summary(unknown, unknownRoot, Self.datacenter).isEmpty, "no NIC, nothing to compare with")

        let (ipv6, ipv6Root) = try proxmox([Self.datacenter: "migration: secure,network=fd00:60::/64\n"])
        #expect(summary(ipv6, ipv6Root, Self.datacenter).isEmpty)
    }

    @Test func aMissingDatacenterConfigIsReportedOnce() throws {
        let (report, root) = try proxmox([:])
        #expect(report.findings.map(\.id) == ["proxmox-not-found"])
        #expect(report.findings[0].file == root.path + Self.datacenter)
        #expect(report.findings[0].line == nil)
        #expect(report.findings[0].severity == .warning)
    }

    @Test func aHostileDatacenterConfigIsRefusedAsIs() throws {
        let root = try FakeRoot()
        try root.link(Self.datacenter, to: "../../../../etc/passwd")
        let report = try audit(try Repo.policy("proxmox-ssh.yaml"), root)
        #expect(report.findings.map(\.id) == ["unreadable-config"])
        #expect(report.findings[0].severity == .error)
    }

    // MARK: corosync.conf

    static let threeNodes = """
        totem {
          cluster_name: lab
          interface {
            linknumber: 0
          }
        }
        nodelist {
          # this host
          node {
            name: pve0
            nodeid: 1
            ring0_addr: 192.168.60.5
          }
          node {
            name: pve1
            ring0_addr: 192.168.60.11
          }
          node {
            name: pve4
            nodeid: 4
            ring0_addr: 192.168.60.14
            ring1_addr: 10.9.9.14
          }
        }

        """

    @Test func aNodeOutsideTheTrustedSetIsAnError() throws {
        let (report, root) = try proxmox([Self.datacenter: Self.quietDatacenter, Self.corosync: Self.threeNodes])
        #expect(summary(report, root, Self.corosync) == ["cluster-node-untrusted error 21"])
        let finding = try #require(report.findings.first { $0.id == "cluster-node-untrusted" })
        #expect(finding.message.contains("pve4") && finding.message.contains("will be refused"))
        #expect(finding.setting == "ring0_addr")
    }

    @Test func trustedHostsThatAreNoNodeAreNoted() throws {
        let policy = try Repo.policy("proxmox-ssh.yaml")
        let (report, _) = try proxmox([Self.datacenter: Self.quietDatacenter, Self.corosync: Self.threeNodes])
        let notes = report.findings.filter { $0.id == "trusted-not-a-node" }
        #expect(notes.map(\.severity) == [.info, .info])
        #expect(notes.allSatisfy { $0.file == policy.path })
        #expect(notes.map(\.line) == policy.trusted.hosts.dropFirst().map { $0.address.location.line })
        #expect(notes[0].message.contains("pve2"))
    }

    @Test func theHostItselfIsSkippedByItsHostAddresses() throws {
        let conf = Self.threeNodes.replacingOccurrences(of: "192.168.60.5", with: "10.20.0.5")
        let (skipped, skippedRoot) = try proxmox([Self.datacenter: "migration: secure\n", Self.corosync: conf],
                                                 host: [try PrefixParser.parse("10.20.0.5")])
        #expect(summary(skipped, skippedRoot, Self.corosync) == ["cluster-node-untrusted error 21"])

        let (flagged, flaggedRoot) = try proxmox([Self.datacenter: "migration: secure\n", Self.corosync: conf])
        #expect(summary(flagged, flaggedRoot, Self.corosync) == ["cluster-node-untrusted error 12", "cluster-node-untrusted error 21"])
    }

    @Test func nodeNamesResolveThroughTheRootsHostsFileOnly() throws {
        let conf = """
            nodelist {
              node {
                name: pve1
                ring0_addr: pve1.lab
              }
              node {
                name: pve9
                ring0_addr: pve9.lab
              }
              node {
                name: pve7
                link0_addr: nowhere.invalid
              }
            }
            """
        let hosts = "127.0.0.1 localhost\n192.168.60.11 pve1.lab pve1 # peer\n192.168.60.9\tPVE9.lab\n"
        let (report, root) = try proxmox([Self.datacenter: Self.quietDatacenter, Self.corosync: conf, "/etc/hosts": hosts])
        #expect(summary(report, root, Self.corosync) == ["cluster-node-name info 12", "cluster-node-untrusted error 8"])
        let name = try #require(report.findings.first { $0.id == "cluster-node-name" })
        #expect(name.setting == "link0_addr")
        #expect(name.message.contains("'nowhere.invalid'"))
    }

    @Test func withAMigrationNetworkANodeWithoutAnAddressThereIsUnknown() throws {
        let conf = """
            nodelist {
              node {
                name: pve2
                ring0_addr: 10.0.0.12
              }
              node {
                name: pve3
                ring0_addr: 10.0.0.13
                link1_addr: 192.168.60.99
              }
            }
            """
        let (report, root) = try proxmox([Self.datacenter: Self.quietDatacenter, Self.corosync: conf])
        #expect(summary(report, root, Self.corosync) == ["cluster-node-migration-address-unknown info 4", "cluster-node-untrusted error 9"])
        // Without a migration network every node address counts, and none is trusted.
        let (plain, plainRoot) = try proxmox([Self.datacenter: "migration: secure\n", Self.corosync: conf])
        #expect(summary(plain, plainRoot, Self.corosync) == ["cluster-node-untrusted error 4", "cluster-node-untrusted error 8"])
    }

    @Test(arguments: [
        ("nodelist {\n  node {\n    ring0_addr: 192.168.60.11\n  }\n", 1),
        ("nodelist {\n  node {\n    ring0_addr: 192.168.60.11\n  }\n}\n}\n", 6),
        ("totem {\n  interface {\n}\nnodelist {\n  node {\n  }\n}\n", 1),
    ])
    func unbalancedBracesAreSyntaxErrors(_ text: String, _ line: Int) throws {
        let (report, root) = try proxmox([Self.datacenter: Self.quietDatacenter, Self.corosync: text])
        #expect(summary(report, root, Self.corosync) == ["config-syntax error \(line)"])
        #expect(!report.findings.contains { $0.id == "trusted-not-a-node" }, "nodes are not audited")
    }

    @Test func theLocalCorosyncConfIsTheFallback() throws {
        let local = "/etc/corosync/corosync.conf"
        let (report, root) = try proxmox([Self.datacenter: Self.quietDatacenter, local: Self.threeNodes])
        #expect(summary(report, root, local) == ["cluster-node-untrusted error 21"])
    }

    @Test func addressKeysAreRingOrLinkWithDigits() {
        #expect(CorosyncConf.isAddressKey("ring0_addr"))
        #expect(CorosyncConf.isAddressKey("link12_addr"))
        #expect(!CorosyncConf.isAddressKey("ring_addr"))
        #expect(!CorosyncConf.isAddressKey("ringx_addr"))
        #expect(!CorosyncConf.isAddressKey("bindnetaddr"))
    }

    // MARK: cluster.fw

    @Test func theFirewallOffByDefaultRaisesNothing() throws {
        let fw = "[IPSET management]\n0.0.0.0/0\n"
        let (report, root) = try proxmox([Self.datacenter: Self.quietDatacenter, Self.clusterFirewall: fw])
        #expect(summary(report, root, Self.clusterFirewall).isEmpty)
        let (off, offRoot) = try proxmox([Self.datacenter: Self.quietDatacenter, Self.clusterFirewall: "[OPTIONS]\nenable: 0\n" + fw])
        #expect(summary(off, offRoot, Self.clusterFirewall).isEmpty)
    }

    @Test func aManagementSetWiderThanTheTrustedSetIsAWarning() throws {
        let fw = """
            [OPTIONS]

            enable: 1

            [ALIASES]

            local_network 192.168.60.11/32 # narrowed
            office 10.50.0.0/16

            [IPSET management] # admins
            192.168.60.12
            !192.168.60.0/24 # excluded
            dc/office
            192.168.60.0/28 # cluster

            """
        let (report, root) = try proxmox([Self.datacenter: Self.quietDatacenter, Self.clusterFirewall: fw])
        #expect(summary(report, root, Self.clusterFirewall) == ["pve-firewall-management-wider warning 13", "pve-firewall-management-wider warning 14"])
        let office = try #require(report.findings.first { $0.line == 13 })
        #expect(office.message.contains("10.50.0.0/16"))
        #expect(office.message.contains("22 and 60000-60050"))
        let cluster = try #require(report.findings.first { $0.line == 14 })
        #expect(cluster.message.contains("192.168.60.0/29, 192.168.60.8/31, 192.168.60.10/32 and 1 more prefixes"))
    }

    @Test func withoutALocalNetworkAliasTheNICSubnetStandsIn() throws {
        let fw = "[OPTIONS]\nenable: 1\n"
        let (report, root) = try proxmox([Self.datacenter: Self.quietDatacenter, Self.clusterFirewall: fw])
        #expect(summary(report, root, Self.clusterFirewall) == ["pve-firewall-management-wider warning 2", "pve-firewall-management-wider warning 2"])
        #expect(report.findings.allSatisfy { $0.message.contains("stands in") })

        let (unknown, unknownRoot) = try proxmox([Self.datacenter: Self.quietDatacenter, Self.clusterFirewall: fw], interface: nil)
        #expect(summary(unknown, unknownRoot, Self.clusterFirewall).isEmpty)
    }
}
