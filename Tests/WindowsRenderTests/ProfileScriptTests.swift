import Foundation
import Policy
import Testing
import WindowsRender

/// Every profile in templates/profiles (and each of Hyper-V's performance options) rendered
/// for a Hyper-V host and for Active Directory: parses, and holds the policy.
@Suite struct ProfileScriptTests {
    static func policy(profile: String, performance: String?, egress: Bool = false) -> String {
        """
        version: 1
        interface: mig0
        profile: \(profile)
        \(performance.map { "performance: \($0)" } ?? "")
        egress: \(egress)
        ports: [6600, udp/5000]
        authentication: kerberos
        trusted:
          networks: [192.168.10.0/24, "2001:db8:10::/64"]
          hosts:
            - { name: hv1.example.com, address: 192.168.20.11 }
            - { name: hv2, address: 192.168.20.12 }
            - { name: hv3.other.example.org, address: "2001:db8:20::13" }
        exclude: [192.168.10.1]
        windows:
          interface_alias: "vEthernet (LM)"
          domain: example.com

        """
    }

    static var cases: [(String, String?)] {
        Fixture.profiles.names.map { ($0, nil) } + ["tcpip", "compression", "smb"].map { ("hyperv", $0) }
    }

    /// Each with and without `egress: true` (outbound rules for the migration-only ports:
    /// TCP 6600 and UDP 5000 here; never a profile's shared ports such as 445, 22, 16514).
    @Test(arguments: [false, true])
    func everyProfileRendersParsesAndHoldsThePolicy(egress: Bool) throws {
        #expect(Fixture.profiles.names.count >= 6)
        let scratch = try ScratchDirectory()
        var paths: [String] = []
        for (profile, performance) in Self.cases {
            let policy = try Fixture.load(Self.policy(profile: profile, performance: performance, egress: egress), in: scratch)
            #expect(policy.egress == egress)
            for target in WindowsTarget.allCases {
                let script = try Fixture.render(policy, target)
                let label = "\(profile) \(performance ?? "-") \(target) egress \(egress)"
                paths.append(try scratch.write("\(profile)-\(performance ?? "none")-\(target).ps1", script))
                let ast = try ScriptAST.read(script, in: scratch)
                switch target {
                case .hyperv: try ScriptChecks.hostScript(ast, script, policy, label)
                case .ad: ScriptChecks.adScript(ast, script, policy, label)
                }
            }
        }
        let check = try ScriptAST.check(paths)
        #expect(check.ok, "\(check.lines)")
    }

    /// A trusted set over 1,000 intervals is split over several rules, read back whole.
    @Test func splitRulesParseAndHoldTheWholeSet() throws {
        let scratch = try ScratchDirectory()
        var lines: [String] = []
        for index in 0..<2_345 { lines.append("10.\(index / 250).\(index % 250).0/25") }
        for index in 0..<100 { lines.append("2001:db8:\(String(index * 2, radix: 16))::/48") }
        try scratch.write("trusted.txt", lines.joined(separator: "\n") + "\n")
        let text = """
            version: 1
            interface: mig0
            profile: hyperv
            performance: smb
            trusted:
              files: [trusted.txt]
            windows: { interface_alias: LM, migration_networks: [10.0.0.0/16] }

            """
        let policy = try Fixture.load(text, in: scratch)
        let script = try Fixture.render(policy, .hyperv)
        let ast = try ScriptAST.read(script, in: scratch)
        try ScriptChecks.hostScript(ast, script, policy, "split")
        let names = ast.topLevel("Sync-MigfwFirewallRule").compactMap { $0.parameters["-Name"]?.first }
        #expect(names == ["migfw-allow-tcp-001", "migfw-allow-tcp-002", "migfw-allow-tcp-003",
                          "migfw-block-tcp-001", "migfw-block-tcp-002", "migfw-block-tcp-003"])
    }
}
