import Policy

/// A named trusted host as Active Directory knows it.
public struct DelegationHost: Hashable, Sendable {
    /// The computer name (first label): the account is `NAME$`.
    public var name: String
    /// The fully qualified DNS name.
    public var fqdn: String
    /// The Active Directory DNS domain (`-Server` for its cmdlets).
    public var domain: String

    /// The services on this host that a migration source must be allowed to delegate to:
    /// live migration (VMMS) and SMB (storage moves and the SMB performance option), each by
    /// short name and FQDN, since a migration may name the destination either way.
    public var migrationServices: [String] {
        ["Microsoft Virtual System Migration Service", "cifs"].flatMap { ["\($0)/\(name)", "\($0)/\(fqdn)"] }
    }
}

/// Who may delegate to whom: every ordered pair of distinct named trusted hosts.
public struct DelegationPlan: Hashable, Sendable {
    public struct Pair: Hashable, Sendable {
        public var source: DelegationHost
        public var destination: DelegationHost
        /// Classic constrained delegation cannot leave a domain; resource-based delegation,
        /// set on the destination, can.
        public var crossesDomains: Bool { source.domain.lowercased() != destination.domain.lowercased() }
    }

    /// The named hosts, in policy order, each once.
    public var hosts: [DelegationHost]
    /// Every ordered pair (source, destination) with source != destination.
    public var pairs: [Pair]

    /// The plan for `policy`. A host name is an FQDN (`hv1.prod.example.com`), or a computer
    /// name completed by `windows.domain`; hosts without a name take no part.
    public static func make(_ policy: Policy) throws(WindowsRenderError) -> DelegationPlan {
        var problems = RenderProblems()
        var hosts: [DelegationHost] = []
        var seen = Set<String>()
        let domain = policy.windows?.domain?.value
        for (index, host) in policy.trusted.hosts.enumerated() {
            guard let name = host.name else { continue }
            let path = "trusted.hosts[\(index)].name"
            if let problem = PowerShellLiteral.problem(name) ?? WindowsNames.dnsNameProblem(name) {
                problems.error(host.address.location, "\(path): '\(printable(name))' \(problem)",
                               hint: "write the host's DNS name, e.g. hv1.prod.example.com")
                continue
            }
            let labels = name.split(separator: ".", maxSplits: 1).map(String.init)
            let computer = labels[0]
            let hostDomain: String
            if labels.count == 2 {
                hostDomain = labels[1]
            } else if let domain {
                hostDomain = domain
            } else {
                problems.error(host.address.location, "\(path): '\(name)' has no domain, so its Active Directory account cannot be found",
                               hint: "write the FQDN (\(name).prod.example.com), or set windows.domain for names without one")
                continue
            }
            if let problem = WindowsNames.computerNameProblem(computer) {
                problems.error(host.address.location, "\(path): the computer name '\(computer)' \(problem)")
                continue
            }
            let delegationHost = DelegationHost(name: computer, fqdn: "\(computer).\(hostDomain)", domain: hostDomain)
            // The same host may be listed once per address (IPv4 and IPv6).
            if seen.insert(delegationHost.fqdn.lowercased()).inserted { hosts.append(delegationHost) }
        }
        if problems.findings.isEmpty && hosts.count < 2 {
            problems.error(policy.trusted.location ?? policy.windowsLocation,
                           "delegation needs at least two named trusted hosts, the policy has \(hosts.count)",
                           hint: "give the trusted Hyper-V hosts names: trusted.hosts: [{ name: hv1.prod.example.com, address: 10.20.30.21 }, ...]")
        }
        try problems.throwIfAny()
        var pairs: [Pair] = []
        for source in hosts {
            for destination in hosts where destination != source {
                pairs.append(Pair(source: source, destination: destination))
            }
        }
        return DelegationPlan(hosts: hosts, pairs: pairs)
    }

    /// `text` with anything but printable ASCII shown as `\u{...}`, for messages.
    static func printable(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value < 0x7f { result.unicodeScalars.append(scalar) }
            else { result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}" }
        }
        return result
    }
}
