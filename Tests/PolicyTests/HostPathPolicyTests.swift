@testable import Policy
import Testing

/// `interface` lists, `other_interfaces`, `shared` and the profiles' shared ports (#19).
@Suite struct HostPathPolicyTests {
    static let head = "version: 1\nprofile: libvirt\ntrusted: { networks: [192.168.10.0/24] }\n"

    @Test func oneInterfaceOrAList() throws {
        let scratch = try ScratchDirectory()
        let one = try loadPolicy(Self.head + "interface: mig0\n", in: scratch)
        #expect(one.interfaces.map(\.value) == ["mig0"])
        #expect(one.otherInterfacesPolicy == .drop)
        let two = try loadPolicy(Self.head + "interface: [bond0, mig1]\n", in: scratch)
        #expect(two.interfaces.map(\.value) == ["bond0", "mig1"])
        #expect(two.interface.value == "bond0")
        #expect(two.interfaces.map(\.location.line) == [4, 4])
    }

    @Test func badInterfaceListsAreErrorsAtTheirEntry() throws {
        let scratch = try ScratchDirectory()
        let errors = try loadErrors(Self.head + "interface:\n  - mig0\n  - mig0\n  - \"bad name\"\n", in: scratch)
        #expect(errors.map(\.id) == ["interface", "interface"])
        #expect(errors.map(\.location.line) == [6, 7])
        #expect(try loadErrors(Self.head + "interface: []\n", in: scratch).map(\.message)
            == ["interface: the list of migration NICs is empty"])
    }

    @Test func theProfilesMarkTheirSharedPorts() throws {
        let scratch = try ScratchDirectory()
        let ports = { (profile: String, extra: String) throws -> [String] in
            try loadPolicy("version: 1\ninterface: mig0\nprofile: \(profile)\n\(extra)trusted: { networks: [192.168.10.0/24] }\n",
                           in: scratch).migrationOnlyPorts.map(\.description)
        }
        #expect(try ports("libvirt", "") == ["tcp/49152-49215"])
        #expect(try ports("proxmox", "") == ["tcp/60000-60050"])
        #expect(try ports("hyperv", "performance: smb\n") == ["tcp/6600"])
        #expect(try ports("vmware", "") == ["tcp/8000"])
        #expect(try ports("xen", "") == ["tcp/8002", "tcp/8003"])
        #expect(try ports("libvirt", "shared: [49215]\n") == ["tcp/49152-49214"])
    }

    @Test func aSharedPortMustBeAMigrationPort() throws {
        let scratch = try ScratchDirectory()
        let errors = try loadErrors(Self.head + "interface: mig0\nshared: [16514, 6600]\n", in: scratch)
        #expect(errors.map(\.id) == ["shared"])
        #expect(errors.first?.location.line == 5)
        #expect(errors.first?.location.column == 17)
    }

    @Test func theOptOutIsReadAndWarnedAbout() throws {
        let scratch = try ScratchDirectory()
        let policy = try loadPolicy(Self.head + "interface: mig0\nother_interfaces: open\n", in: scratch)
        #expect(policy.otherInterfacesPolicy == .open)
        let findings = PolicyLinter.lint(policy).filter { $0.id == "other-interfaces-open" }
        #expect(findings.count == 1)
        #expect(findings.first?.severity == .warning)
        #expect(findings.first?.location.line == 5)
        #expect(findings.first?.message.contains("49152-49215 open on every NIC but mig0") == true)
        #expect(PolicyLinter.lint(try loadPolicy(Self.head + "interface: mig0\n", in: scratch))
            .allSatisfy { $0.id != "other-interfaces-open" })
        #expect(try loadErrors(Self.head + "interface: mig0\nother_interfaces: close\n", in: scratch).map(\.id) == ["value"])
    }

    /// SSH among the migration-only ports would be closed on the management NIC by every
    /// apply, reconcile and boot: an error (the review's lockout).
    @Test func sshAsAMigrationOnlyPortIsAnError() throws {
        let scratch = try ScratchDirectory()
        let custom = "version: 1\ninterface: mig0\nprofile: custom\nports: [7000, 22]\ntrusted: { networks: [10.1.0.0/24] }\n"
        let policy = try loadPolicy(custom, in: scratch)
        let errors = PolicyLinter.errors(policy)
        #expect(errors.map(\.id) == ["ssh-closed-elsewhere"])
        #expect(errors.first?.location.line == 4)
        #expect(PolicyLinter.errors(try loadPolicy(custom + "shared: [22]\n", in: scratch)).isEmpty)
        #expect(PolicyLinter.errors(try loadPolicy(custom + "other_interfaces: open\n", in: scratch)).isEmpty)
        // A gateway would guard its own SSH on a migration-only 22: an error there too.
        let gateway = "version: 1\nmode: gateway\ngateway: { via: routed }\ninterface: prod0\nprofile: custom\nports: [7000, 22]\n"
            + "protected: { hosts: [10.20.30.21] }\ntrusted: { networks: [10.10.30.0/24] }\n"
        #expect(PolicyLinter.errors(try loadPolicy(gateway, in: scratch)).map(\.id) == ["ssh-closed-elsewhere"])
        #expect(PolicyLinter.errors(try loadPolicy(gateway + "shared: [22]\n", in: scratch)).isEmpty)
        // Proxmox marks 22 shared.
        #expect(PolicyLinter.errors(try loadPolicy("version: 1\ninterface: mig0\nprofile: proxmox\ntrusted: { networks: [10.1.0.0/24] }\n",
                                                   in: scratch)).isEmpty)
    }

    @Test func hostKeysAreErrorsInGatewayMode() throws {
        let scratch = try ScratchDirectory()
        let gateway = "version: 1\nmode: gateway\ngateway: { via: routed }\ninterface: prod0\nprofile: hyperv\n"
            + "protected: { hosts: [10.20.30.21] }\ntrusted: { networks: [10.10.30.0/24] }\n"
        let errors = try loadErrors(gateway + "other_interfaces: open\n", in: scratch)
        #expect(errors.map(\.id) == ["gateway-key"])
        // `shared` is read in gateway mode too: the protected side guards migration-only ports.
        #expect(try loadPolicy(gateway + "shared: [445]\nperformance: smb\n", in: scratch).migrationOnlyPorts.map(\.description) == ["tcp/6600"])
        #expect(try loadErrors(gateway.replacingOccurrences(of: "interface: prod0", with: "interface: [a, b]"), in: scratch)
            .map(\.id) == ["interface"])
    }

    /// `shared` that takes a part of the profile's migration-only range reopens that part on
    /// every other NIC (host) or on the hosts' unlisted addresses (gateway): a warning at the
    /// entry, even when other migration-only ports remain (the review's finding).
    @Test func aSharedEntryThatTakesMigrationOnlyPortsIsWarnedAbout() throws {
        let scratch = try ScratchDirectory()
        let warned = { (text: String) throws -> [Finding] in
            PolicyLinter.lint(try loadPolicy(text, in: scratch)).filter { $0.id == "shared-migration-ports" }
        }
        let part = try warned(Self.head + "interface: mig0\nshared: [16509, 49152-49214]\n")
        #expect(part.count == 1)
        #expect(part.first?.location.line == 5)
        #expect(part.first?.location.column == 17, "the entry that takes them, not the first")
        #expect(part.first?.message.contains("migration-only port(s) 49152-49214: they stay open on every NIC but mig0") == true)
        #expect(part.first?.severity == .warning)
        // The profile's own shared ports, a port the policy added itself, and the opt-out
        // (which has its own warning) are not this lint's business.
        #expect(try warned(Self.head + "interface: mig0\nshared: [16509]\n").isEmpty)
        #expect(try warned(Self.head + "interface: mig0\nports: [7000]\nshared: [7000]\n").isEmpty)
        #expect(try warned(Self.head + "interface: mig0\nshared: [49215]\nother_interfaces: open\n").isEmpty)
        let gateway = "version: 1\nmode: gateway\ngateway: { via: routed }\ninterface: prod0\nprofile: libvirt\n"
            + "protected: { hosts: [10.20.30.21] }\ntrusted: { networks: [10.10.30.0/24] }\nshared: [49200]\n"
        #expect(try warned(gateway).first?.message.contains("listed addresses only") == true)
    }

    /// Every migration port shared: host mode and a gateway both warn (the gateway guarded
    /// the listed addresses only, without a word).
    @Test func everyPortSharedIsWarnedAboutInBothModes() throws {
        let scratch = try ScratchDirectory()
        let gateway = "version: 1\nmode: gateway\ngateway: { via: routed }\ninterface: prod0\nprofile: hyperv\n"
            + "protected: { hosts: [10.20.30.21] }\ntrusted: { networks: [10.10.30.0/24] }\n"
        let findings = PolicyLinter.lint(try loadPolicy(gateway + "shared: [6600]\n", in: scratch))
        #expect(findings.map(\.id).contains("no-migration-only-ports"), "\(findings.map(\.id))")
        #expect(!PolicyLinter.lint(try loadPolicy(gateway, in: scratch)).map(\.id).contains("no-migration-only-ports"))
        let host = PolicyLinter.lint(try loadPolicy(Self.head + "interface: mig0\nshared: [49152-49215]\n", in: scratch))
        #expect(host.map(\.id).contains("no-migration-only-ports"), "\(host.map(\.id))")
    }

    @Test func aProfileSharedPortMustBeOneOfItsPorts() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("odd.yaml", "summary: odd\nports: [7000]\nshared: [7001]\n")
        #expect(throws: PolicyError.self) { try ProfileCatalog.read(name: "odd", path: path) }
        let good = try scratch.write("ok.yaml", "summary: ok\nports: [7000, 22]\nshared: [22]\n")
        #expect(try ProfileCatalog.read(name: "ok", path: good).profile.shared.map(\.description) == ["tcp/22"])
    }

    @Test func aRoutedGatewayGuardsItsInterfaceAndABridgeItsNamedPorts() throws {
        let scratch = try ScratchDirectory()
        let routed = try loadPolicy("version: 1\nmode: gateway\ngateway: { via: routed }\ninterface: prod0\nprofile: hyperv\n"
            + "protected: { hosts: [10.20.30.21] }\ntrusted: { networks: [10.10.30.0/24] }\n", in: scratch)
        #expect(routed.protectedSideInterfaces == ["prod0"])
        let bridge = "version: 1\nmode: gateway\ninterface: br0\nprofile: vmware\n"
            + "protected: { hosts: [10.20.30.21] }\ntrusted: { networks: [10.10.30.0/24] }\n"
        #expect(try loadPolicy(bridge + "gateway: { via: bridge }\n", in: scratch).protectedSideInterfaces == [])
        #expect(try loadPolicy(bridge + "gateway: { via: bridge, protected_side: [esx1, esx2] }\n", in: scratch)
            .protectedSideInterfaces == ["esx1", "esx2"])
    }
}
