import Prefix

/// The lints of gateway mode: what a gateway cannot see. A gateway filters only traffic that
/// crosses it, so sources on the protected hosts' own segment reach them directly.
extension PolicyLinter {
    static func gateway(_ policy: Policy) -> [Finding] {
        guard let gateway = policy.gateway else { return [] }
        var findings = emptyProtectedSet(gateway)
        if gateway.via == .bridge && gateway.protectedSide.isEmpty {
            findings.append(Finding(
                id: "gateway-unguarded-addresses", severity: .warning, location: gateway.gatewayLocation ?? gateway.location,
                message: "gateway: a bridge that names no port toward the protected hosts guards only their listed addresses: their link-local, SLAAC and privacy addresses, and an IP version the policy does not list, stay open on the migration ports",
                hint: "name the bridge port(s) toward the protected hosts: 'gateway: { via: bridge, protected_side: [PORT] }'"))
        }
        let protectedNetworks = gateway.protected.networks.filter { !$0.value.isHost }
        for network in protectedNetworks {
            findings.append(Finding(
                id: "protected-segment", severity: .info, location: network.location,
                message: "protected.networks: machines inside \(network.value) reach the protected hosts there without crossing this gateway, so it cannot filter their traffic",
                hint: "keep untrusted machines off that segment, or protect individual hosts and put the others behind the gateway"))
        }
        // A trusted source inside a protected network: its migration traffic never reaches the gateway.
        var aggregator = PrefixAggregator()
        for network in protectedNetworks { aggregator.include(network.value) }
        let segments = aggregator.aggregate()
        guard !segments.isEmpty else { return findings }
        func visit(_ value: AnyCIDR, _ location: SourceLocation, _ what: String) {
            guard AddressSpace.intersects(segments, value) else { return }
            findings.append(Finding(
                id: "trusted-on-protected-segment", severity: .info, location: location,
                message: "\(what) '\(value)' is on a protected network's segment: its traffic to the protected hosts never crosses this gateway, which cannot filter it",
                hint: "nothing to fix if intended: the gateway neither allows nor blocks it"))
        }
        for network in policy.trusted.networks { visit(network.value, network.location, "trusted network") }
        for host in policy.trusted.hosts { visit(host.address.value, host.address.location, "trusted host") }
        return findings
    }

    /// Gateway mode with no protected address would filter nothing.
    static func emptyProtectedSet(_ gateway: GatewayOptions) -> [Finding] {
        let protected = gateway.protected
        guard protected.networks.isEmpty && protected.hosts.isEmpty && protected.filePrefixes.isEmpty else { return [] }
        return [Finding(
            id: "empty-protected-set", severity: .error, location: gateway.location,
            message: "no protected hosts: the gateway would filter nothing",
            hint: "list the hypervisors behind this gateway under protected.networks, protected.hosts or protected.files")]
    }
}
