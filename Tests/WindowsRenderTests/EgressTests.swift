import Foundation
import Policy
import Prefix
import Testing
import WindowsRender

/// `egress: true` for a Hyper-V host: outbound Block rules for the migration-only ports to
/// the trusted set's complement; shared ports (SMB's 445) stay open outbound.
@Suite struct EgressTests {
    @Test func seedBlocksOutboundMigrationToUntrustedAddressesOnly() throws {
        let policy = try Fixture.loadSample("seed-dev-to-prod.yaml")
        #expect(policy.egress)
        let trusted = policy.trustedSet()
        let plan = try HyperVHostPlan.make(policy, trustedSet: trusted)
        #expect(plan.egress)
        #expect(plan.egressRules.map(\.name) == ["migfw-egress-block-tcp-001"])
        let rule = try #require(plan.egressRules.first)
        #expect(rule.direction == .outbound && rule.action == .block && rule.transport == "TCP")
        #expect(rule.remotePorts == ["6600"], "445 is shared: the SMB client needs it to every file server and DC")
        #expect(rule.localPorts.isEmpty)
        #expect(rule.interfaceAlias == "vEthernet (LM)")
        #expect(rule.remoteAddresses == FirewallAddresses.entries(FirewallAddresses.complement(trusted)))
        #expect(rule.remoteAddresses.contains("10.20.30.1"), "the excluded router is not a migration peer")
        #expect(plan.egressOpenSharedPorts == ["TCP 445"])
        // The inbound rules are what they were: every one inbound, on the local ports.
        #expect(plan.rules.allSatisfy { $0.direction == .inbound && $0.remotePorts.isEmpty && !$0.localPorts.isEmpty })
    }

    @Test func withoutEgressThereIsNoOutboundRule() throws {
        let policy = try Fixture.loadSample("hyperv.yaml")
        #expect(!policy.egress)
        let plan = try HyperVHostPlan.make(policy, trustedSet: policy.trustedSet())
        #expect(!plan.egress && plan.egressRules.isEmpty && plan.egressOpenSharedPorts.isEmpty)
        let script = try Fixture.render(policy, .hyperv)
        #expect(!script.contains("Sync-MigfwEgressRule") && !script.contains("egress"))
    }

    /// Every transport with migration-only ports gets its own rules; the migration NIC is
    /// optional (without it the rules hold on every NIC, as the inbound ones do).
    @Test func eachTransportGetsItsRules() throws {
        let scratch = try ScratchDirectory()
        let policy = try Fixture.load("""
            version: 1
            interface: mig0
            profile: custom
            ports: [6600, 7000-7010, udp/5000]
            egress: true
            trusted:
              networks: [192.168.10.0/24]

            """, in: scratch)
        let plan = try HyperVHostPlan.make(policy, trustedSet: policy.trustedSet())
        #expect(plan.egressRules.map(\.name) == ["migfw-egress-block-tcp-001", "migfw-egress-block-udp-001"])
        #expect(plan.egressRules.map(\.remotePorts) == [["6600", "7000-7010"], ["5000"]])
        #expect(plan.egressRules.allSatisfy { $0.interfaceAlias == nil })
        #expect(plan.egressOpenSharedPorts.isEmpty)
        let script = try Fixture.render(policy, .hyperv)
        let ast = try ScriptAST.read(script, in: scratch)
        try ScriptChecks.hostScript(ast, script, policy, "custom egress")
        #expect(ast.topLevel("Sync-MigfwEgressRule").map { $0.parameters["-InterfaceAlias"] } == [nil, nil])
        #expect(!script.contains("Shared ports stay open outbound"))
    }

    /// When every migration port is shared, egress adds no rule and says why.
    @Test func onlySharedPortsAddNoRule() throws {
        let scratch = try ScratchDirectory()
        let policy = try Fixture.load("""
            version: 1
            interface: mig0
            profile: custom
            ports: [445]
            shared: [445]
            egress: true
            trusted:
              networks: [192.168.10.0/24]
            windows: { interface_alias: LM }

            """, in: scratch)
        #expect(policy.migrationOnlyPorts.isEmpty)
        let plan = try HyperVHostPlan.make(policy, trustedSet: policy.trustedSet())
        #expect(plan.egress && plan.egressRules.isEmpty)
        #expect(plan.egressOpenSharedPorts == ["TCP 445"])
        let script = try Fixture.render(policy, .hyperv)
        #expect(script.contains("    # egress: every migration port is a shared one, so no outbound rule (see below).\n"))
        #expect(script.contains("On TCP 445 the SMB client reaches file servers"))
        #expect(!script.contains("Sync-MigfwEgressRule"), "no call, so no runtime either")
        try ScriptChecks.hostScript(ScriptAST.read(script, in: scratch), script, policy, "shared only")
    }

    /// A complement over 1,000 entries is split like the inbound block rules.
    @Test func bigComplementsAreSplit() throws {
        let scratch = try ScratchDirectory()
        var lines: [String] = []
        for index in 0..<2_345 { lines.append("10.\(index / 250).\(index % 250).0/25") }
        for index in 0..<100 { lines.append("2001:db8:\(String(index * 2, radix: 16))::/48") }
        try scratch.write("trusted.txt", lines.joined(separator: "\n") + "\n")
        let policy = try Fixture.load("""
            version: 1
            interface: mig0
            profile: hyperv
            egress: true
            trusted:
              files: [trusted.txt]
            windows: { interface_alias: LM, migration_networks: [10.0.0.0/16] }

            """, in: scratch)
        let script = try Fixture.render(policy, .hyperv)
        let ast = try ScriptAST.read(script, in: scratch)
        try ScriptChecks.hostScript(ast, script, policy, "split egress")
        let names = ast.topLevel("Sync-MigfwEgressRule").compactMap { $0.parameters["-Name"]?.first }
        #expect(names == ["migfw-egress-block-tcp-001", "migfw-egress-block-tcp-002", "migfw-egress-block-tcp-003"])
        #expect(ast.topLevel("Remove-MigfwStaleRules").first?.parameters["-Keep"]?.suffix(3) == ArraySlice(names))
    }
}
