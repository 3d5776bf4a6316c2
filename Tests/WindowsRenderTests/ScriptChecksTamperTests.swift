import Foundation
import Testing

/// The structural checks fail on a script that is wrong in any of the ways they look for:
/// the seed's scripts, each altered once, must each be caught.
@Suite struct ScriptChecksTamperTests {
    static func seed(_ target: String) throws -> String {
        try String(contentsOf: Fixture.golden.appendingPathComponent("seed-dev-to-prod.\(target).ps1"), encoding: .utf8)
    }

    static let hostTampering: [(String, String, String)] = [
        ("allow entry dropped", "        '10.20.30.0'\n", ""),
        ("excluded router allowed", "        '10.20.30.0'\n", "        '10.20.30.0/31'\n"),
        ("block entry dropped", "        '10.20.30.1'\n", ""),
        ("IPv6 left open", "        '::/0'\n", ""),
        ("port 445 missing", "-LocalPort @('445', '6600')", "-LocalPort @('6600')"),
        ("alias changed", "-InterfaceAlias 'vEthernet (LM)' -RemoteAddress @(\n        '0.0.0.0", "-InterfaceAlias 'Ethernet' -RemoteAddress @(\n        '0.0.0.0"),
        ("change not gated", "        if (Approve-MigfwChange 'this host' 'Enable-VMMigration') {\n            Enable-VMMigration -Confirm:$false\n        }\n",
         "        Enable-VMMigration -Confirm:$false\n"),
        ("stale-rule list wrong", "-Keep @('migfw-allow-tcp-001', 'migfw-block-tcp-001', ", "-Keep @('migfw-allow-tcp-001', "),
        ("stale-rule list drops egress", ", 'migfw-egress-block-tcp-001')", ")"),
        ("egress blocks SMB too", "-RemotePort @('6600')", "-RemotePort @('445', '6600')"),
        ("egress on the local port", "-Protocol 'TCP' -RemotePort @('6600')", "-Protocol 'TCP' -LocalPort @('6600')"),
        ("egress allows instead", "'migfw-egress-block-tcp-001' -Action 'Block'", "'migfw-egress-block-tcp-001' -Action 'Allow'"),
        ("egress lets the router through", "        '10.20.30.1'\n        '10.20.31.0-255.255.255.255'\n        '::/0'\n    )\n\n    # Every other",
         "        '10.20.31.0-255.255.255.255'\n        '::/0'\n    )\n\n    # Every other"),
        ("egress rule missing", "    Sync-MigfwEgressRule -Name", "    Write-Output -Name"),
        ("egress runtime inbound", "New-NetFirewallRule @parameters -Direction 'Outbound'", "New-NetFirewallRule @parameters -Direction 'Inbound'"),
        ("egress update on local port", "-LocalPort 'Any' -RemotePort $RemotePort", "-LocalPort $RemotePort"),
        ("syntax broken", "    Sync-MigfwVMHost -AuthenticationType 'Kerberos'", "    Sync-MigfwVMHost -AuthenticationType 'Kerberos"),
    ]

    @Test(arguments: hostTampering)
    func hostScriptTamperingIsCaught(_ what: String, _ original: String, _ replacement: String) throws {
        let script = try Self.seed("hyperv")
        #expect(script.contains(original), "\(what): the fixture moved")
        let tampered = script.replacingOccurrences(of: original, with: replacement)
        let scratch = try ScratchDirectory()
        let policy = try Fixture.loadSample("seed-dev-to-prod.yaml")
        try ScriptChecks.hostScript(ScriptAST.read(script, in: scratch), script, policy, "untouched")
        let ast = try ScriptAST.read(tampered, in: scratch)
        withKnownIssue(Comment(rawValue: what)) {
            try ScriptChecks.hostScript(ast, tampered, policy, what)
        }
    }

    static let adTampering: [(String, String, String)] = [
        ("pair dropped", "Grant-MigfwResourceDelegation -Source 'dev-hv1' -SourceDomain 'dev.example.com' -Destination 'prod-hv1' -DestinationDomain 'prod.example.com'\n", ""),
        ("SPN missing", "'cifs/dev-hv2', ", ""),
        ("replace instead of add", "-Add @{ 'msDS-AllowedToDelegateTo'", "-Replace @{ 'msDS-AllowedToDelegateTo'"),
        ("unconstrained delegation", "-TrustedToAuthForDelegation $true -Confirm", "-TrustedForDelegation $true -Confirm"),
    ]

    @Test(arguments: adTampering)
    func adScriptTamperingIsCaught(_ what: String, _ original: String, _ replacement: String) throws {
        let script = try Self.seed("ad")
        #expect(script.contains(original), "\(what): the fixture moved")
        let tampered = script.replacingOccurrences(of: original, with: replacement)
        let scratch = try ScratchDirectory()
        let policy = try Fixture.loadSample("seed-dev-to-prod.yaml")
        ScriptChecks.adScript(try ScriptAST.read(script, in: scratch), script, policy, "untouched")
        let ast = try ScriptAST.read(tampered, in: scratch)
        withKnownIssue(Comment(rawValue: what)) {
            ScriptChecks.adScript(ast, tampered, policy, what)
        }
    }
}
