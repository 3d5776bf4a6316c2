import Foundation
import Policy
import Testing
import WindowsRender

/// Names and aliases from the policy never leave their string in a generated script: what
/// PowerShell can hold verbatim in a single-quoted literal is rendered and read back
/// unchanged; what it cannot (line breaks, control characters, non-ASCII such as the quote
/// look-alikes U+2018..U+201B) is refused with the file, line and key.
@Suite struct InjectionTests {
    /// A YAML double-quoted scalar holding exactly `text`.
    static func yaml(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value >= 0x7F:
                out += "\\U" + String(format: "%08X", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func policy(alias: String, name: String = "hv1.example.com", domain: String = "example.com") -> String {
        """
        version: 1
        interface: mig0
        profile: hyperv
        performance: smb
        trusted:
          networks: [10.0.0.0/24]
          hosts:
            - { name: \(yaml(name)), address: 10.0.0.11 }
            - { name: hv2.example.com, address: 10.0.0.12 }
        windows:
          interface_alias: \(yaml(alias))
          domain: \(yaml(domain))

        """
    }

    /// Values a single-quoted literal holds verbatim: each comes back unchanged, and the
    /// script runs exactly the commands it runs with a plain alias.
    static let verbatim = [
        "it's", "''", "a'b'c", "x' ; Remove-Item -Recurse -Force C:\\ ; '", "$env:COMPUTERNAME", "$(Stop-Computer)",
        "a`b", "back`'tick", "semi;colon", "dq\"uote", "@(1)", "#> <# comment", "'@ here", "{0} -f",
    ]

    @Test(arguments: verbatim)
    func aliasStaysOneString(_ alias: String) throws {
        let scratch = try ScratchDirectory()
        let plain = try ScriptAST.read(Fixture.render(Fixture.load(Self.policy(alias: "LM"), in: scratch), .hyperv), in: scratch)
        let policy = try Fixture.load(Self.policy(alias: alias), in: scratch)
        #expect(policy.windows?.interfaceAlias?.value == alias)
        let script = try Fixture.render(policy, .hyperv)
        let ast = try ScriptAST.read(script, in: scratch)
        #expect(ast.errors.isEmpty, "\(ast.errors)")
        let rules = ast.topLevel("Sync-MigfwFirewallRule")
        #expect(rules.count == 2)
        #expect(rules.allSatisfy { $0.parameters["-InterfaceAlias"] == [alias] })
        #expect(ast.calls.map { $0.name ?? "" } == plain.calls.map { $0.name ?? "" }, "no command added or lost")
        try ScriptChecks.hostScript(ast, script, policy, alias)
    }

    static let refusedAliases: [(String, String)] = [
        ("line\nbreak", "control character"), ("carriage\rreturn", "control character"), ("tab\there", "control character"),
        ("nul\u{0}", "control character"), ("del\u{7F}", "control character"), ("left\u{2018}quote", "non-ASCII"),
        ("right\u{2019}quote", "non-ASCII"), ("low\u{201A}quote", "non-ASCII"), ("reversed\u{201B}quote", "non-ASCII"),
        ("next\u{85}line", "non-ASCII"), ("sep\u{2028}arator", "non-ASCII"), ("star*", "wildcard"), ("index[0]", "wildcard"),
        ("what?", "wildcard"), ("", "empty"), (" padded", "space"),
    ]

    @Test(arguments: refusedAliases)
    func aliasRefusedWithItsLine(_ alias: String, _ reason: String) throws {
        let scratch = try ScratchDirectory()
        do {
            _ = try Fixture.load(Self.policy(alias: alias), in: scratch)
            Issue.record("\(alias.debugDescription) was accepted")
        } catch let error as PolicyError {
            let finding = try #require(error.findings.first)
            #expect(error.findings.count == 1)
            #expect(finding.location.line == 11, "\(finding)")
            #expect(finding.message.hasPrefix("windows.interface_alias: the alias "), "\(finding)")
            #expect(finding.message.contains(reason), "\(finding)")
        }
    }

    static let refusedNames = [
        "hv1'.example.com", "hv$1.example.com", "hv`1.example.com", "hv;1.example.com", "hv 1.example.com",
        "hv\u{2019}1.example.com", "hv1\n.example.com", "hv\"1.example.com", "hv1..example.com", "-hv1.example.com",
        "averyveryverylongname.example.com",
    ]

    /// Host names take part only in the AD script, and only as DNS names.
    @Test(arguments: refusedNames)
    func hostNameRefusedWithItsLine(_ name: String) throws {
        let scratch = try ScratchDirectory()
        let policy = try Fixture.load(Self.policy(alias: "LM", name: name), in: scratch)
        // The Linux side takes any name; the host script does not use names at all.
        _ = try Fixture.render(policy, .hyperv)
        do {
            _ = try Fixture.render(policy, .ad)
            Issue.record("\(name.debugDescription) was accepted")
        } catch let error as WindowsRenderError {
            let finding = try #require(error.findings.first)
            #expect(finding.location.line == 8, "\(finding)")
            #expect(finding.message.hasPrefix("trusted.hosts[0].name: "), "\(finding)")
            #expect(!finding.message.contains("\n"), "the message itself stays on one line")
        }
    }

    @Test(arguments: ["ex'ample.com", "example.com;", "exa$mple.com", "example..com"])
    func domainRefusedWithItsLine(_ domain: String) throws {
        let scratch = try ScratchDirectory()
        do {
            _ = try Fixture.load(Self.policy(alias: "LM", domain: domain), in: scratch)
            Issue.record("\(domain) was accepted")
        } catch let error as PolicyError {
            let finding = try #require(error.findings.first)
            #expect(finding.location.line == 12 && finding.message.hasPrefix("windows.domain: "), "\(finding)")
        }
    }
}
