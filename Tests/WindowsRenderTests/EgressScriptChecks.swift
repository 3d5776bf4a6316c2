import Policy
import Prefix
import Testing
import WindowsRender

extension ScriptChecks {
    /// `egress: true` in the host script, against the policy: for each transport with
    /// migration-only ports, outbound Block rules whose remote ports are exactly those ports
    /// (never a shared one such as SMB's 445) and whose remote addresses are exactly the
    /// trusted set's complement; no egress rule at all, and no egress runtime, without it.
    static func egressChecks(_ ast: ScriptAST, _ script: String, _ policy: Policy, _ comment: String) throws {
        let calls = ast.topLevel("Sync-MigfwEgressRule")
        guard policy.egress else {
            #expect(calls.isEmpty, "\(comment)")
            #expect(!script.contains("Sync-MigfwEgressRule"), "no egress runtime without egress (\(comment))")
            return
        }
        let trusted = policy.trustedSet()
        let alias = policy.windows?.interfaceAlias?.value
        let shared = policy.profile.value.shared + policy.shared.map(\.value)
        for transport in TransportProtocol.allCases {
            let ports = policy.migrationOnlyPorts.filter { $0.transport == transport }.map(\.range.description)
            let mine = calls.filter { $0.parameters["-Protocol"] == [transport.rawValue.uppercased()] }
            guard !ports.isEmpty else {
                #expect(mine.isEmpty, "\(comment)")
                continue
            }
            #expect(!mine.isEmpty, "egress rules for \(transport) (\(comment))")
            for (index, rule) in mine.enumerated() {
                let number = String(index + 1)
                #expect(rule.parameters["-Name"] == ["migfw-egress-block-\(transport.rawValue)-" + String(repeating: "0", count: max(0, 3 - number.count)) + number], "\(comment)")
                #expect(rule.parameters["-Action"] == ["Block"], "\(comment)")
                #expect(rule.parameters["-RemotePort"] == ports, "\(comment)")
                #expect(rule.parameters["-LocalPort"] == nil, "\(comment)")
                #expect(rule.parameters["-InterfaceAlias"] == alias.map { [$0] }, "\(comment)")
                let count = rule.parameters["-RemoteAddress"]?.count ?? 0
                #expect(count >= 1 && count <= 1_000, "\(comment): \(count) entries")
                for port in rule.parameters["-RemotePort"] ?? [] {
                    let bounds = port.split(separator: "-").compactMap { UInt16($0) }
                    let lower = bounds.first ?? 0, upper = bounds.last ?? 0
                    #expect(!shared.contains { $0.transport == transport && $0.range.lower <= upper && lower <= $0.range.upper },
                            "egress blocks shared port \(port) (\(comment))")
                }
            }
            let blocked = try EntrySet(mine.flatMap { $0.parameters["-RemoteAddress"] ?? [] })
            let trustedEntries = try EntrySet(FirewallAddresses.entries(trusted))
            #expect(FirewallAddressesTests.disjoint(trustedEntries.ipv4 + blocked.ipv4), "egress blocks a trusted address (\(comment))")
            #expect(FirewallAddressesTests.disjoint(trustedEntries.ipv6 + blocked.ipv6), "egress blocks a trusted address (\(comment))")
            #expect(Intervals.union(trustedEntries.ipv4 + blocked.ipv4) == [AddressRange(lower: .min, upper: .max)!], "\(comment)")
            #expect(Intervals.union(trustedEntries.ipv6 + blocked.ipv6) == [AddressRange(lower: .min, upper: .max)!], "\(comment)")
        }
        guard !calls.isEmpty else { return }
        // The runtime behind the calls creates and updates outbound rules on the remote port.
        let inRuntime = ast.calls.filter { $0.function == "Sync-MigfwEgressRule" }
        let create = inRuntime.filter { $0.name == "New-NetFirewallRule" }
        let update = inRuntime.filter { $0.name == "Set-NetFirewallRule" }
        #expect(create.count == 1 && update.count == 1, "\(comment)")
        for call in create + update {
            #expect(call.parameters["-Direction"] == ["Outbound"], "\(call.name ?? "") at line \(call.line) (\(comment))")
            #expect(call.parameters["-RemotePort"] == ["$RemotePort"], "\(call.name ?? "") at line \(call.line) (\(comment))")
            #expect(call.parameters["-Action"] == ["$Action"] && call.parameters["-RemoteAddress"] == ["$RemoteAddress"], "\(comment)")
        }
        #expect(create.first?.parameters["-LocalPort"] == nil, "\(comment)")
        #expect(update.first?.parameters["-LocalPort"] == ["Any"], "\(comment)")
    }
}
