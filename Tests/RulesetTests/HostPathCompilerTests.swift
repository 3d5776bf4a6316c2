import Policy
import Prefix
@testable import Ruleset
import Testing

/// Host mode closes the migration-only ports on every NIC but the migration NIC(s) (#19).
@Suite struct HostPathCompilerTests {
    @Test func sharedPortsStayOpenElsewhereAndMigrationOnlyPortsClose() {
        let table = RulesetCompiler.compile(Fixtures.policy(profile: "libvirt"))
        #expect(table.set(named: "tcp_ports")?.elements == .ports([16509...16509, 16514...16514, 49152...49215]))
        #expect(table.set(named: "tcp_migration_only")?.elements == .ports([49152...49215]))
        let proxmox = RulesetCompiler.compile(Fixtures.policy(profile: "proxmox"))
        #expect(proxmox.set(named: "tcp_migration_only")?.elements == .ports([60000...60050]))
        let xen = RulesetCompiler.compile(Fixtures.policy(profile: "xen"))
        #expect(xen.set(named: "tcp_migration_only")?.elements == .ports([8002...8003]))
    }

    @Test func everyMigrationNICGetsTheMigrationRules() {
        var policy = Fixtures.policy(profile: "hyperv", egress: true)
        policy.interfaces = [policy.interface, Located("mig1", at: policy.interface.location)]
        let table = RulesetCompiler.compile(policy)
        #expect(Array(Fixtures.lines(table, "input").prefix(3)) == [
            "iifname \"mig0\" goto migration_in", "iifname \"mig1\" goto migration_in", "iifname \"lo\" return",
        ])
        #expect(Array(Fixtures.lines(table, "output").prefix(2)) == [
            "oifname \"mig0\" goto migration_out", "oifname \"mig1\" goto migration_out",
        ])
        // The regular chains come before the base chains that jump to them (batch order).
        #expect(table.chains.map(\.name) == ["migration_in", "migration_out", "input", "output"])
    }

    @Test func theOptOutLeavesOtherNICsAlone() {
        var policy = Fixtures.policy(profile: "libvirt")
        policy.otherInterfaces = Located(.open, at: policy.interface.location)
        let table = RulesetCompiler.compile(policy)
        #expect(Fixtures.lines(table, "input") == ["iifname \"mig0\" goto migration_in"])
        #expect(table.set(named: "tcp_migration_only") == nil)
    }

    @Test func aPolicySharedPortIsCutOutOfARange() {
        var policy = Fixtures.policy(profile: "libvirt")
        policy.shared = [Located(MigrationPort(.tcp, PortRange(lower: 49160, upper: 49161)!), at: policy.interface.location)]
        #expect(policy.migrationOnlyPorts.map(\.description) == ["tcp/49152-49159", "tcp/49162-49215"])
        let table = RulesetCompiler.compile(policy)
        #expect(table.set(named: "tcp_migration_only")?.elements == .ports([49152...49159, 49162...49215]))
    }

    @Test func allPortsSharedMeansNoOtherNICRules() {
        var policy = Fixtures.policy(profile: "custom", ports: [Fixtures.port(.tcp, 7000)])
        policy.shared = [Located(MigrationPort(.tcp, PortRange(lower: 7000, upper: 7000)!), at: policy.interface.location)]
        let table = RulesetCompiler.compile(policy)
        #expect(Fixtures.lines(table, "input") == ["iifname \"mig0\" goto migration_in"])
    }

    @Test func otherNICDropsComeAfterEstablishedFlowsAndLoopback() {
        // This host's own outgoing connections may use an ephemeral port inside 49152-49215.
        let input = Fixtures.lines(RulesetCompiler.compile(Fixtures.policy(profile: "libvirt", logDrops: true)), "input")
        let drop = input.firstIndex(of: "tcp dport @tcp_migration_only counter drop")!
        #expect(input.firstIndex(of: "ct state established,related return")! < drop)
        #expect(input.firstIndex(of: "iifname \"lo\" return")! < drop)
        #expect(input.contains("tcp dport @tcp_migration_only limit rate 10/second log prefix \"migfw drop: \""))
    }
}
