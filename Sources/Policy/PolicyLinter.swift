import Prefix

/// The security lints of `migfw check`, as a library so that `apply` can refuse a policy
/// with error-level findings.
public enum PolicyLinter {
    /// Above this many findings of one id, the rest are summed up in one line: a 100k-line
    /// prefix feed must not drown the output.
    public static let maximumFindingsPerID = 50

    /// Every lint finding for `policy`, ordered by location: the policy file's lines first.
    public static func lint(_ policy: Policy) -> [Finding] {
        var budget = FindingBudget()
        var findings: [Finding] = []
        findings += authentication(policy)
        findings += broadAndPublic(policy, budget: &budget)
        findings += hostsOutsideNetworks(policy)
        findings += hostsExcluded(policy)
        findings += emptyTrustedSet(policy, trustedSet: policy.trustedSet())
        findings += unusedExclusions(policy)
        findings += unmatchedFiles(policy)
        findings += gateway(policy)
        findings += otherInterfaces(policy)
        findings += sshClosedElsewhere(policy)
        findings += PrefixOverlaps.findings(policy, budget: &budget)
        return PolicyLoader.sorted(capped(findings, notBuilt: budget.skipped), primary: policy.path)
    }

    /// Only the error-level findings: what `apply`, `plan` and `reconcile` refuse a policy for.
    /// Runs just the lints that can report errors, so a 100k-prefix feed is not sorted for
    /// overlap notes nobody reads on the apply path.
    public static func errors(_ policy: Policy) -> [Finding] {
        errors(policy, trustedSet: policy.trustedSet())
    }

    /// ``errors(_:)`` with the policy's ``Policy/trustedSet()`` already computed (the caller
    /// compiles the ruleset from it too, so a 100k feed is aggregated once).
    public static func errors(_ policy: Policy, trustedSet: AggregatedPrefixes) -> [Finding] {
        var budget = FindingBudget()
        let findings = (broadAndPublic(policy, budget: &budget, errorsOnly: true)
                        + emptyTrustedSet(policy, trustedSet: trustedSet)
                        + sshClosedElsewhere(policy)
                        + (policy.gateway.map(emptyProtectedSet) ?? []))
            .filter { $0.severity == .error }
        return PolicyLoader.sorted(capped(findings, notBuilt: budget.skipped), primary: policy.path)
    }

    /// Whether `findings` hold an error-level finding (what makes `check` exit 1).
    public static func hasErrors(_ findings: [Finding]) -> Bool {
        findings.contains { $0.severity == .error }
    }

    static func authentication(_ policy: Policy) -> [Finding] {
        guard let authentication = policy.authentication else { return [] }
        switch authentication.value {
        case .credssp:
            return [Finding(
                id: "credssp", severity: .warning, location: authentication.location,
                message: "authentication: CredSSP hands the user's credentials to the remote host, so a compromised host then holds them",
                hint: "use Kerberos with constrained delegation (authentication: kerberos)")]
        case .none where !policy.dedicated:
            return [Finding(
                id: "unencrypted-transport", severity: .warning, location: authentication.location,
                message: "authentication: none on a shared (not dedicated) network: VM memory, keys and secrets included, crosses it unencrypted",
                hint: "move migration to a dedicated network (dedicated: true) or use tls, ssh or kerberos")]
        default:
            return []
        }
    }

    /// The broad-prefix and public-prefix lints. `errorsOnly`: skip the public-prefix
    /// warning (apply, plan and reconcile only refuse errors).
    static func broadAndPublic(_ policy: Policy, budget: inout FindingBudget, errorsOnly: Bool = false) -> [Finding] {
        var findings: [Finding] = []
        // Broad prefixes are an error only in a dedicated network; allow_broad silences them.
        let broadMatters = !policy.allowBroad && (!errorsOnly || policy.dedicated)
        // allow_broad silences only the broad-prefix lint: a broad public prefix still gets
        // the public-prefix warning.
        let publicMatters = policy.dedicated && !errorsOnly
        guard broadMatters || publicMatters else { return [] }
        func visit(_ value: AnyCIDR, _ location: () -> SourceLocation) {
            let family = value.family
            let shortest = family == .ipv4 ? 8 : 16
            if value.length < shortest && !policy.allowBroad {
                guard broadMatters, budget.admit(FindingBudget.broadPrefix) else { return }
                let what = value.length == 0
                    ? "'\(value)' trusts every \(family == .ipv4 ? "IPv4" : "IPv6") address"
                    : "'\(value)' is very broad (\(family == .ipv4 ? "IPv4" : "IPv6") prefixes shorter than /\(shortest) are)"
                findings.append(Finding(
                    id: "broad-prefix", severity: policy.dedicated ? .error : .warning, location: location(),
                    message: "\(what) in a \(policy.dedicated ? "dedicated" : "shared") migration network",
                    hint: "trust the migration subnets themselves; if this is intended, set 'allow_broad: true'"))
            } else if publicMatters && AddressSpace.isPublic(value) && budget.admit(FindingBudget.publicPrefix) {
                findings.append(Finding(
                    id: "public-prefix", severity: .warning, location: location(),
                    message: "'\(value)' is public address space in a dedicated migration network",
                    hint: "a dedicated migration network normally uses private (RFC 1918) or unique local (fc00::/7) addresses; check the prefix"))
            }
        }
        for network in policy.trusted.networks { visit(network.value) { network.location } }
        for host in policy.trusted.hosts { visit(host.address.value) { host.address.location } }
        let files = policy.trusted.filePrefixes
        for (index, value) in files.values.enumerated() { visit(value) { files.location(at: index) } }
        return findings
    }

    static func hostsOutsideNetworks(_ policy: Policy) -> [Finding] {
        // Networks from trusted.files count too; aggregated once, since a feed can hold 100k.
        guard !policy.trusted.networks.isEmpty || !policy.trusted.filePrefixes.isEmpty,
              !policy.trusted.hosts.isEmpty else { return [] }
        var aggregator = PrefixAggregator()
        for network in policy.trusted.networks { aggregator.include(network.value) }
        for value in policy.trusted.filePrefixes.values { aggregator.include(value) }
        let networks = aggregator.aggregate()
        return policy.trusted.hosts.compactMap { host in
            // A host is one address, so sharing an address with the set means lying inside it.
            guard !AddressSpace.intersects(networks, host.address.value) else { return nil }
            let label = host.name.map { "trusted host '\($0)' (\(host.address.value))" } ?? "trusted host \(host.address.value)"
            return Finding(
                id: "host-outside-networks", severity: .warning, location: host.address.location,
                message: "\(label) is outside every trusted network",
                hint: "check the address for a typo, or add the host's migration network to trusted.networks")
        }
    }

    /// A trusted host that an exclusion removes: the author named it, yet it will be dropped.
    static func hostsExcluded(_ policy: Policy) -> [Finding] {
        guard !policy.exclude.isEmpty else { return [] }
        return policy.trusted.hosts.compactMap { host in
            guard let (index, exclusion) = policy.exclude.enumerated().first(where: {
                AddressSpace.contains($0.element.value, host.address.value)
            }) else { return nil }
            let label = host.name.map { "trusted host '\($0)' (\(host.address.value))" } ?? "trusted host \(host.address.value)"
            return Finding(
                id: "host-excluded", severity: .warning, location: host.address.location,
                message: "\(label) is removed by exclude[\(index)] ('\(exclusion.value)'), so it is not trusted",
                hint: "remove the host from trusted.hosts, or narrow the exclusion")
        }
    }

    static func emptyTrustedSet(_ policy: Policy, trustedSet: AggregatedPrefixes) -> [Finding] {
        guard trustedSet.isEmpty else { return [] }
        let location = policy.trusted.location ?? policy.interface.location
        if policy.trustedCount == 0 {
            return [Finding(
                id: "empty-trusted-set", severity: .error, location: location,
                message: "no trusted sources: the firewall would block all migration",
                hint: "list the migration networks or hosts under trusted.networks, trusted.hosts or trusted.files")]
        }
        return [Finding(
            id: "empty-trusted-set", severity: .error, location: location,
            message: "the exclusions remove every trusted address: the firewall would block all migration",
            hint: "narrow the exclusions in 'exclude'")]
    }

    static func unusedExclusions(_ policy: Policy) -> [Finding] {
        guard !policy.exclude.isEmpty else { return [] }
        var aggregator = PrefixAggregator()
        policy.forEachTrustedValue { aggregator.include($0) }
        let trusted = aggregator.aggregate()
        return policy.exclude.enumerated().compactMap { index, exclusion in
            guard !AddressSpace.intersects(trusted, exclusion.value) else { return nil }
            return Finding(
                id: "exclusion-unused", severity: .warning, location: exclusion.location,
                message: "exclude[\(index)]: '\(exclusion.value)' excludes nothing: no trusted prefix contains it",
                hint: "remove it, or check the address for a typo")
        }
    }

    /// `trusted.files` and, in gateway mode, `protected.files` globs that matched no file.
    static func unmatchedFiles(_ policy: Policy) -> [Finding] {
        let sections = [("trusted", policy.trusted)] + (policy.gateway.map { [("protected", $0.protected)] } ?? [])
        return sections.flatMap { section, sources in
            sources.unmatchedFiles.map { pattern in
                Finding(
                    id: "files-unmatched", severity: .warning, location: pattern.location,
                    message: "\(section).files: '\(pattern.value)' matches no file",
                    hint: "check the path; a relative pattern is relative to the policy file's directory")
            }
        }
    }

    static func capped(_ findings: [Finding], notBuilt: [String: Int] = [:]) -> [Finding] {
        var counts = notBuilt
        var built: [String: Int] = [:]
        var kept: [Finding] = []
        var firstDropped: [String: Finding] = [:]
        for finding in findings {
            built[finding.id, default: 0] += 1
            counts[finding.id, default: 0] += 1
            if built[finding.id]! <= maximumFindingsPerID {
                kept.append(finding)
            } else if firstDropped[finding.id] == nil {
                firstDropped[finding.id] = finding
            }
        }
        for (id, first) in firstDropped.sorted(by: { $0.key < $1.key }) {
            let more = counts[id]! - maximumFindingsPerID
            var summary = Finding(id: id, severity: first.severity, location: first.location,
                                  message: "\(more) more '\(id)' findings not shown")
            summary.hiddenCount = more
            kept.append(summary)
        }
        return kept
    }
}

/// Counts the findings of each id and tells whether one more is worth building: a finding's
/// text costs string formatting, and a 100k-line prefix feed must not pay for 100k messages
/// of which ``PolicyLinter/maximumFindingsPerID`` are shown.
struct FindingBudget {
    /// The ids counted per prefix (a handful): a short list compares faster than a hash.
    static let broadPrefix = "broad-prefix"
    static let publicPrefix = "public-prefix"

    private var ids: [String] = []
    private var admitted: [Int] = []
    private var skippedCounts: [Int] = []

    /// Findings admitted past the cap (plus one, which ``PolicyLinter/capped(_:notBuilt:)``
    /// needs for the summary line's location), per id.
    var skipped: [String: Int] {
        var counts: [String: Int] = [:]
        for (id, count) in zip(ids, skippedCounts) where count > 0 { counts[id] = count }
        return counts
    }

    /// Counts one finding of `id`; true when it should be built.
    mutating func admit(_ id: String) -> Bool {
        let slot: Int
        if let found = ids.firstIndex(of: id) {
            slot = found
        } else {
            ids.append(id)
            admitted.append(0)
            skippedCounts.append(0)
            slot = ids.count - 1
        }
        admitted[slot] += 1
        if admitted[slot] <= PolicyLinter.maximumFindingsPerID + 1 { return true }
        skippedCounts[slot] += 1
        return false
    }
}
