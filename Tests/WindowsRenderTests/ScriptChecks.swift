import Policy
import Prefix
import Testing
import WindowsRender

/// What every generated script must satisfy, read from its tree-sitter AST, compared with
/// the policy by values computed here (not by the renderer's own plan).
enum ScriptChecks {
    /// Cmdlets that change something: each may only run behind `Approve-MigfwChange`.
    static let mutating: Set<String> = [
        "Set-VMHost", "Enable-VMMigration", "Disable-VMMigration", "Add-VMMigrationNetwork", "Remove-VMMigrationNetwork",
        "Set-VMMigrationNetwork", "New-NetFirewallRule", "Set-NetFirewallRule", "Remove-NetFirewallRule",
        "Disable-NetFirewallRule", "Enable-NetFirewallRule", "Set-NetFirewallAddressFilter", "Set-ADComputer",
        "Set-ADObject", "Set-ADAccountControl",
    ]

    static func commonChecks(_ ast: ScriptAST, _ script: String, _ comment: String) {
        #expect(ast.errors.isEmpty, "\(ast.errors)")
        #expect(script.utf8.allSatisfy { $0 == 0x0A || ($0 >= 0x20 && $0 < 0x7F) }, "ASCII only (\(comment))")
        let changes = ast.calls.filter { mutating.contains($0.name ?? "") }
        #expect(!changes.isEmpty, "\(comment)")
        for call in changes {
            #expect(call.gated, "\(call.name ?? "") at line \(call.line) is not behind Approve-MigfwChange (\(comment))")
            #expect(call.function != nil, "\(call.name ?? "") at line \(call.line) outside a function")
        }
        // The gate: nothing under -Check, ShouldProcess otherwise.
        #expect(script.contains("    if ($Check) {\n        $script:Pending++\n        return $false\n    }\n    if ($script:MigfwCmdlet.ShouldProcess($Target, $Action)) {"))
        #expect(script.contains("[CmdletBinding(SupportsShouldProcess = $true)]\nparam([switch]$Check)\n"))
    }

    /// The Hyper-V host script against `policy`.
    static func hostScript(_ ast: ScriptAST, _ script: String, _ policy: Policy, _ comment: String) throws {
        commonChecks(ast, script, comment)
        let trusted = policy.trustedSet()
        let rules = ast.topLevel("Sync-MigfwFirewallRule")
        let alias = policy.windows?.interfaceAlias?.value
        for transport in TransportProtocol.allCases {
            let ports = policy.migrationPorts.filter { $0.transport == transport }.map(\.range.description)
            let mine = rules.filter { $0.parameters["-Protocol"] == [transport.rawValue.uppercased()] }
            if ports.isEmpty {
                #expect(mine.isEmpty, "\(comment)")
                continue
            }
            let allow = mine.filter { $0.parameters["-Action"] == ["Allow"] }
            let block = mine.filter { $0.parameters["-Action"] == ["Block"] }
            #expect(allow.count + block.count == mine.count, "\(comment)")
            for rule in mine {
                #expect(rule.parameters["-LocalPort"] == ports, "\(comment)")
                #expect(rule.parameters["-InterfaceAlias"] == alias.map { [$0] }, "\(comment)")
                let count = rule.parameters["-RemoteAddress"]?.count ?? 0
                #expect(count >= 1 && count <= 1_000, "\(comment): \(count) entries")
            }
            let allowed = try EntrySet(allow.flatMap { $0.parameters["-RemoteAddress"] ?? [] })
            let blocked = try EntrySet(block.flatMap { $0.parameters["-RemoteAddress"] ?? [] })
            #expect(allowed.union == trusted, "allow rules == trusted set (\(comment))")
            #expect(FirewallAddressesTests.disjoint(allowed.ipv4 + blocked.ipv4), "\(comment)")
            #expect(FirewallAddressesTests.disjoint(allowed.ipv6 + blocked.ipv6), "\(comment)")
            #expect(Intervals.union(allowed.ipv4 + blocked.ipv4) == [AddressRange(lower: .min, upper: .max)!], "\(comment)")
            #expect(Intervals.union(allowed.ipv6 + blocked.ipv6) == [AddressRange(lower: .min, upper: .max)!], "\(comment)")
            #expect(blocked.count <= trusted.ipv4.count + trusted.ipv6.count + 2, "\(comment)")
        }
        try egressChecks(ast, script, policy, comment)
        let names = (rules + ast.topLevel("Sync-MigfwEgressRule")).compactMap { $0.parameters["-Name"]?.first }
        #expect(Set(names).count == names.count, "\(comment)")
        #expect(ast.topLevel("Remove-MigfwStaleRules").map { $0.parameters["-Keep"] ?? [] } == [names], "\(comment)")
        let has6600 = policy.migrationPorts.contains { $0.transport == .tcp && $0.range.lower == 6600 && $0.range.upper == 6600 }
        #expect(ast.topLevel("Disable-MigfwOpenMigrationRules").map(\.parameters) == (has6600 ? [["-Protocol": ["TCP"], "-LocalPort": ["6600"]]] : []),
                "\(comment)")
        let networks = (policy.windows?.migrationNetworks ?? policy.trusted.networks).map(\.value.description)
        #expect(ast.topLevel("Sync-MigfwMigrationNetworks").map { $0.parameters["-Subnet"] ?? [] } == [networks], "\(comment)")
        let vmHost = ast.topLevel("Sync-MigfwVMHost")
        #expect(vmHost.count == 1, "\(comment)")
        let authentication = policy.authentication?.value == .credssp ? "CredSSP" : "Kerberos"
        #expect(vmHost.first?.parameters["-AuthenticationType"] == [authentication], "\(comment)")
        let performance = ["tcpip": "TCPIP", "compression": "Compression", "smb": "SMB"][policy.performance?.value ?? ""]
        #expect(vmHost.first?.parameters["-PerformanceOption"] == performance.map { [$0] }, "\(comment)")
        // Hyper-V's ports per performance option: 6600, and 445 only with SMB.
        if policy.profile.value.name == "hyperv" {
            let tcp = rules.first { $0.parameters["-Protocol"] == ["TCP"] }?.parameters["-LocalPort"] ?? []
            let extra = policy.ports.map(\.value).filter { $0.transport == .tcp }.map(\.range.description)
            #expect(Set(tcp) == Set(["6600"] + (policy.performance?.value == "smb" ? ["445"] : []) + extra), "\(comment)")
        }
    }

    /// The Active Directory script against `policy`: exactly one delegation per ordered pair of
    /// distinct named hosts, constrained within a domain, resource-based across domains.
    static func adScript(_ ast: ScriptAST, _ script: String, _ policy: Policy, _ comment: String) {
        commonChecks(ast, script, comment)
        var hosts: [(name: String, domain: String)] = []
        for host in policy.trusted.hosts {
            guard let name = host.name else { continue }
            let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
            let entry = (parts[0], parts.count == 2 ? parts[1] : policy.windows?.domain?.value ?? "?")
            if !hosts.contains(where: { $0 == entry }) { hosts.append(entry) }
        }
        var expected: [String] = []
        for source in hosts {
            for destination in hosts where destination != source {
                expected.append("\(source.name).\(source.domain) -> \(destination.name).\(destination.domain)")
            }
        }
        var found: [String] = []
        for call in ast.topLevel("Grant-MigfwConstrainedDelegation") {
            let p = call.parameters
            let destination = p["-Destination"]?.first ?? "?"
            let domain = p["-SourceDomain"]?.first ?? "?"
            found.append("\(p["-Source"]?.first ?? "?").\(domain) -> \(destination).\(domain)")
            let fqdn = "\(destination).\(domain)"
            #expect(p["-Service"] == ["Microsoft Virtual System Migration Service/\(destination)",
                                      "Microsoft Virtual System Migration Service/\(fqdn)",
                                      "cifs/\(destination)", "cifs/\(fqdn)"], "\(comment)")
            #expect(hosts.contains { $0.name == destination && $0.domain == domain }, "same domain (\(comment))")
        }
        for call in ast.topLevel("Grant-MigfwResourceDelegation") {
            let p = call.parameters
            let sourceDomain = p["-SourceDomain"]?.first ?? "?", destinationDomain = p["-DestinationDomain"]?.first ?? "?"
            #expect(sourceDomain.lowercased() != destinationDomain.lowercased(), "\(comment)")
            found.append("\(p["-Source"]?.first ?? "?").\(sourceDomain) -> \(p["-Destination"]?.first ?? "?").\(destinationDomain)")
        }
        #expect(found.sorted() == expected.sorted(), "\(comment)")
        // Never unconstrained delegation, never a wholesale overwrite of delegation lists.
        for call in ast.calls {
            #expect(call.parameters["-TrustedForDelegation"] == nil, "\(comment)")
            if call.name == "Set-ADComputer" || call.name == "Set-ADObject" {
                #expect(call.parameters["-Replace"] == nil && call.parameters["-Clear"] == nil && call.parameters["-Remove"] == nil, "\(comment)")
            }
        }
    }
}
