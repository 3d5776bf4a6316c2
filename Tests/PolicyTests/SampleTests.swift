import Foundation
import Policy
import Prefix
import Testing

/// The shipped samples load into the policies they describe and lint clean.
@Suite struct SampleTests {
    static func load(_ name: String) throws -> Policy {
        try PolicyLoader.load(path: Repo.samples.appendingPathComponent(name).path, profiles: Repo.profiles)
    }

    @Test(arguments: Repo.sampleFiles())
    func sampleLoadsAndLintsClean(_ name: String) throws {
        let policy = try Self.load(name)
        let findings = PolicyLinter.lint(policy)
        #expect(findings.filter { $0.severity != .info }.isEmpty, "\(findings)")
        // A gateway names its NIC toward the protected hosts (or its bridge) instead.
        if policy.mode == .host { #expect(policy.interface.value == "mig0") }
        #expect(!policy.migrationPorts.isEmpty)
    }

    @Test func seedScenario() throws {
        let policy = try Self.load("seed-dev-to-prod.yaml")
        #expect(policy.profile.value.name == "hyperv")
        #expect(policy.performance?.value == "smb")
        // The SMB performance option adds TCP 445 to the migration service's 6600.
        #expect(policy.migrationPorts.map(\.description) == ["tcp/445", "tcp/6600"])
        #expect(policy.authentication?.value == .kerberos)
        #expect(policy.dedicated && policy.egress)
        #expect(policy.trusted.networks.map(\.value.description) == ["10.10.30.0/24", "10.20.30.0/24"])
        #expect(policy.trusted.hosts.map { $0.name ?? "" } == ["dev-hv1.dev.example.com", "dev-hv2.dev.example.com", "prod-hv1.prod.example.com", "prod-hv2.prod.example.com"])
        #expect(policy.trusted.hosts[2].address.location.line == 23)
        #expect(policy.trusted.hosts[2].address.location.column == 51)
        // The router is cut out of the production network.
        let set = policy.trustedSet()
        #expect(set.ipv4.map(\.description) == ["10.10.30.0-10.10.30.255", "10.20.30.0", "10.20.30.2-10.20.30.255"])
        #expect(policy.log.drops && policy.log.rate == RateLimit(count: 10, unit: .second))
    }

    @Test func hypervWithoutSMBHasOnly6600() throws {
        let policy = try Self.load("hyperv.yaml")
        #expect(policy.migrationPorts.map(\.description) == ["tcp/6600"])
    }

    @Test func libvirtReadsItsPrefixListFiles() throws {
        let policy = try Self.load("libvirt.yaml")
        #expect(policy.migrationPorts.map(\.description) == ["tcp/16509", "tcp/16514", "tcp/49152-49215"])
        #expect(policy.trusted.files.map(\.value) == ["trusted.d/*.txt"])
        #expect(policy.trusted.unmatchedFiles.isEmpty)
        let fromFiles = policy.trusted.filePrefixes
        #expect(fromFiles.map(\.value.description) == ["192.168.61.0/25", "fd00:61::/64"])
        #expect(fromFiles.map(\.location.line) == [2, 4])
        #expect(fromFiles.allSatisfy { $0.location.file.hasSuffix("samples/trusted.d/libvirt-rack2.txt") })
    }

    @Test func customListsItsOwnPortsAndProtocols() throws {
        let policy = try Self.load("custom.yaml")
        #expect(policy.profile.value.ports.isEmpty)
        #expect(policy.migrationPorts.map(\.description) == ["tcp/7000-7010", "udp/7100"])
        #expect(!policy.dedicated)
    }

    @Test(arguments: [
        ("proxmox.yaml", ["tcp/22", "tcp/60000-60050"]),
        ("vmware.yaml", ["tcp/8000"]),
        ("xen.yaml", ["tcp/8002", "tcp/8003"]),
    ])
    func profilePorts(_ name: String, _ ports: [String]) throws {
        #expect(try Self.load(name).migrationPorts.map(\.description) == ports)
    }
}
