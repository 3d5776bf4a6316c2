import Policy
import Prefix

/// The cluster's nodes (corosync.conf's nodelist) against the trusted set: Proxmox migrates
/// between cluster nodes, so a node the firewall does not trust cannot migrate to this one,
/// and a trusted host that is no node is a hint the policy and the cluster drifted apart.
enum ProxmoxClusterAudit {
    /// The cluster copy first, then the node's local copy (Corosync.pm reads both).
    static let corosyncPaths = ["/etc/pve/corosync.conf", "/etc/corosync/corosync.conf"]

    /// `migrationNetwork`: datacenter.cfg's `migration: network=`, when set and valid.
    static func findings(_ context: AuditContext, migrationNetwork: AnyCIDR?) -> [AuditFinding] {
        var findings: [AuditFinding] = []
        guard let text = read(context.root, &findings) else { return findings }
        let conf = CorosyncConf(text)
        if let error = conf.syntaxError {
            findings.append(AuditFinding(
                id: "config-syntax", severity: .error, file: text.shown, line: error.line,
                message: "\(error.message): corosync cannot read the file; cluster nodes not audited",
                fix: "balance the braces of the section"))
            return findings
        }
        guard !conf.nodes.isEmpty else { return findings }

        let hosts = RootHostsFile(context.root)
        if let refusal = hosts.refusal { findings.append(refusal) }
        var nodeAddresses: [AnyCIDR] = []
        var nodesOutsideNetwork = false
        for node in conf.nodes {
            var resolved: [(address: AnyCIDR, line: Int)] = []
            for address in node.addresses {
                let found = hosts.resolve(address.value)
                if found.isEmpty {
                    findings.append(AuditFinding(
                        id: "cluster-node-name", severity: .info, file: text.shown, line: address.line, setting: address.key,
                        message: "\(node.label): \(address.key) '\(Excerpt.quoted(address.value))' is a name /etc/hosts does not resolve; the audit asks no DNS, so this address is not checked",
                        fix: "write the node's address as an IP literal, or add the name to /etc/hosts"))
                }
                resolved += found.map { ($0, address.line) }
            }
            nodeAddresses += resolved.map(\.address)
            if let migrationNetwork, !resolved.contains(where: { migrationNetwork.containsPrefix($0.address) }) {
                nodesOutsideNetwork = true
            }
            if let finding = untrusted(node, resolved, context, migrationNetwork: migrationNetwork, file: text.shown) {
                findings.append(finding)
            }
        }
        findings += trustedNotANode(context, nodeAddresses: nodeAddresses, file: text.shown,
                                    migrationNetwork: nodesOutsideNetwork ? migrationNetwork : nil)
        return findings
    }

    /// The first corosync.conf there is (refusals appended), or nil when there is none.
    private static func read(_ root: ConfigRoot, _ findings: inout [AuditFinding]) -> ConfigText? {
        for path in corosyncPaths {
            switch root.read(path) {
            case .missing: continue
            case .refused(let refusal):
                findings.append(refusal)
                return nil
            case .text(let text): return text
            }
        }
        return nil
    }

    /// The finding for a node the trusted set does not hold, or nil when it is trusted, is
    /// this host, or its addresses are not known.
    ///
    /// With a migration network, a node migrates from its address inside it; when corosync
    /// lists none there, the node's migration address is not in the file.
    private static func untrusted(_ node: CorosyncConf.Node, _ resolved: [(address: AnyCIDR, line: Int)],
                                  _ context: AuditContext, migrationNetwork: AnyCIDR?, file: String) -> AuditFinding? {
        guard !resolved.isEmpty else { return nil }
        let isThisHost = resolved.contains { entry in
            context.hostAddresses.contains(entry.address) || context.isOnMigrationInterface(entry.address) == true
        }
        if isThisHost { return nil }
        var candidates = resolved
        if let migrationNetwork {
            candidates = resolved.filter { migrationNetwork.containsPrefix($0.address) }
            if candidates.isEmpty {
                if resolved.contains(where: { context.isTrusted($0.address) }) { return nil }
                return AuditFinding(
                    id: "cluster-node-migration-address-unknown", severity: .info, file: file, line: resolved[0].line,
                    message: "\(node.label) has no address in the migration network \(migrationNetwork) here: its migration address is not in corosync.conf, so the audit cannot tell whether the trusted set holds it",
                    fix: "make sure the policy trusts the node's address in \(migrationNetwork)")
            }
        }
        guard !candidates.contains(where: { context.isTrusted($0.address) }) else { return nil }
        let shown = candidates.map(\.address.addressText).joined(separator: ", ")
        let name = node.name.map { Excerpt.quoted($0) } ?? "at line \(node.line)"
        return AuditFinding(
            id: "cluster-node-untrusted", severity: .error, file: file, line: candidates[0].line,
            setting: node.addresses.first { $0.line == candidates[0].line }?.key,
            message: "\(node.label) (\(shown)) is not in the trusted set: migration with node \(name) will be refused",
            fix: "add the node's migration address to trusted.hosts in \(context.policy.path), or remove the node from the cluster")
    }

    /// Infos for trusted hosts that are no node's address (Proxmox migrates within its
    /// cluster). Hosts inside `migrationNetwork` are skipped: it is set only when some node's
    /// address there is not in corosync.conf, so such a host may be one.
    private static func trustedNotANode(_ context: AuditContext, nodeAddresses: [AnyCIDR], file: String,
                                        migrationNetwork: AnyCIDR?) -> [AuditFinding] {
        context.policy.trusted.hosts.compactMap { host in
            let address = host.address.value
            if nodeAddresses.contains(where: { address.containsPrefix($0) }) { return nil }
            if let migrationNetwork, migrationNetwork.containsPrefix(address) { return nil }
            let name = host.name.map { "\(Excerpt.quoted($0)) (\(address.addressText))" } ?? address.addressText
            return AuditFinding(
                id: "trusted-not-a-node", severity: .info, file: context.policy.path, line: host.address.location.line,
                setting: "trusted.hosts",
                message: "trusted host \(name) is no node of the cluster in \(file): Proxmox migrates within its cluster only",
                fix: "remove the host from trusted.hosts, or check that it should be a cluster node")
        }
    }
}
