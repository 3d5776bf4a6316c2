import Policy
import Prefix

/// pve-firewall's `management` set against the trusted set. When the firewall is on, it
/// accepts SSH (22) and insecure migration (60000-60050) from `+management`, and it always
/// adds `local_network` to that set: the `[ALIASES] local_network` value, else the routing
/// subnet of the node's address (Firewall.pm). Either can open those ports wider than the
/// peers migfw trusts.
enum ProxmoxFirewallAudit {
    static let clusterPath = "/etc/pve/firewall/cluster.fw"

    static func findings(_ context: AuditContext) -> [AuditFinding] {
        let text: ConfigText
        switch context.root.read(clusterPath) {
        case .missing: return []
        case .refused(let refusal): return [refusal]
        case .text(let read): text = read
        }
        let config = ProxmoxFirewallConfig(text)
        // Off by default: "The firewall is completely disabled by default".
        guard let enable = config.enable, enable.on else { return [] }

        var parts: [(prefix: AnyCIDR, line: Int, origin: String)] = []
        for entry in config.ipsets["management"] ?? [] where !entry.negated {
            if let prefix = config.prefix(of: entry.value) {
                parts.append((prefix, entry.line, "the management ipset's \(Excerpt.quoted(entry.value))"))
            }
        }
        if let alias = config.aliases["local_network"], let prefix = config.prefix(of: alias.value) {
            parts.append((prefix, alias.line, "local_network \(Excerpt.quoted(alias.value)), which pve-firewall adds to the set"))
        } else {
            for address in context.interfaceAddresses ?? [] {
                parts.append((address.subnet, enable.line, """
                    local_network, which pve-firewall adds to the set: with no [ALIASES] local_network it is the \
                    node address's routing subnet, for which \(context.interfaceNames)'s subnet \(address.subnet) stands in here
                    """))
            }
        }
        return parts.compactMap { part in
            let untrusted = context.untrustedPart(of: part.prefix)
            guard !untrusted.isEmpty else { return nil }
            return AuditFinding(
                id: "pve-firewall-management-wider", severity: .warning, file: text.shown, line: part.line,
                message: "pve-firewall opens 22 and 60000-60050 to the management set, which holds \(describe(untrusted)) the trusted set does not (from \(part.origin))",
                fix: "narrow the management ipset, and set '[ALIASES] local_network' to a prefix the policy trusts")
        }
    }

    /// A few of the prefixes, then how many more: short enough for one message.
    static func describe(_ prefixes: AggregatedPrefixes) -> String {
        let all = prefixes.ipv4CIDRs.map(\.description) + prefixes.ipv6CIDRs.map(\.description)
        let shown = all.prefix(3).joined(separator: ", ")
        return all.count > 3 ? "\(shown) and \(all.count - 3) more prefixes" : shown
    }
}
