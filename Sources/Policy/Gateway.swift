import Prefix

/// Where migfw enforces the policy.
public enum PolicyMode: String, Hashable, Sendable, CaseIterable {
    /// The migration traffic of this machine itself (input/output chains): the default.
    case host
    /// Migration traffic passing through this machine to hypervisors behind it, which cannot
    /// run nftables themselves (Hyper-V, ESXi).
    case gateway
}

/// How a gateway sits on the path of the migration traffic.
public enum GatewayPath: String, Hashable, Sendable, CaseIterable {
    /// An IP router between the migration networks: a `forward` chain in `table inet migfw`.
    case routed
    /// A transparent Linux bridge on the migration uplink: a `forward` chain in
    /// `table bridge migfw`, stateless (the bridge family has no conntrack here).
    case bridge
}

/// Gateway mode's settings: how the box sits and which hypervisors it protects.
public struct GatewayOptions: Hashable, Sendable {
    public var via: GatewayPath
    /// The hypervisors behind the gateway (networks, hosts, files: the same syntax as
    /// `trusted`).
    public var protected: TrustedSources
    /// Where the `protected` key was written.
    public var location: SourceLocation
    /// `gateway.protected_side`: the interfaces toward the protected hosts (a routed
    /// gateway's NICs, a bridge's ports). Migration ports are guarded on them for every
    /// address, listed or not (link-local, SLAAC, privacy, the other IP version).
    public var protectedSide: [Located<String>] = []
    /// Where the `gateway` key was written.
    public var gatewayLocation: SourceLocation? = nil

    public init(via: GatewayPath, protected: TrustedSources, location: SourceLocation) {
        self.via = via
        self.protected = protected
        self.location = location
    }
}

extension Policy {
    /// The mode the policy runs in.
    public var mode: PolicyMode { gateway == nil ? .host : .gateway }

    /// Calls `body` with every protected prefix (networks, hosts, files), without locations.
    public func forEachProtectedValue(_ body: (AnyCIDR) -> Void) {
        guard let protected = gateway?.protected else { return }
        for network in protected.networks { body(network.value) }
        for host in protected.hosts { body(host.address.value) }
        for value in protected.filePrefixes.values { body(value) }
    }

    /// The interfaces toward the protected hosts: `gateway.protected_side`, else, for a routed
    /// gateway, `interface` (its NIC toward them). Empty for a bridge that names no port.
    public var protectedSideInterfaces: [String] {
        guard let gateway else { return [] }
        if !gateway.protectedSide.isEmpty { return gateway.protectedSide.map(\.value) }
        return gateway.via == .routed ? [interface.value] : []
    }

    /// The protected hypervisors as one aggregated set (empty in host mode).
    public func protectedSet() -> AggregatedPrefixes {
        var aggregator = PrefixAggregator()
        forEachProtectedValue { aggregator.include($0) }
        return aggregator.aggregate()
    }
}
