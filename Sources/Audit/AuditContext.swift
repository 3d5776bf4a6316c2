import Policy
import Prefix

/// What an audit looks at: the policy, the files under the root and the migration NIC's
/// addresses as the kernel has them.
public struct AuditContext: Sendable {
    public var policy: Policy
    public var root: ConfigRoot
    /// The addresses on the policy's migration NIC(s) with their prefix lengths as assigned
    /// (`192.168.60.5/24`); nil when none of the NICs exists where the audit looked.
    public var interfaceAddresses: [InterfaceAddress]?
    /// Every address of the host, on any NIC: how the audit recognises the host itself in a
    /// cluster's node list.
    public var hostAddresses: [AnyCIDR]

    public init(policy: Policy, root: ConfigRoot, interfaceAddresses: [InterfaceAddress]?, hostAddresses: [AnyCIDR] = []) {
        self.policy = policy
        self.root = root
        self.interfaceAddresses = interfaceAddresses
        self.hostAddresses = hostAddresses
        trustedSet = policy.trustedSet()
    }

    /// The policy's migration NIC names, for messages (`mig0`, or `bond0, mig1`).
    public var interfaceNames: String { policy.interfaces.map(\.value).joined(separator: ", ") }

    /// Whether `address` is assigned to a migration NIC; nil when the NICs' addresses are not known.
    public func isOnMigrationInterface(_ address: AnyCIDR) -> Bool? {
        interfaceAddresses.map { list in list.contains { $0.address == address } }
    }

    /// Whether `network` holds an address of a migration NIC; nil when they are not known.
    public func holdsMigrationAddress(_ network: AnyCIDR) -> Bool? {
        interfaceAddresses.map { list in list.contains { network.containsPrefix($0.address) } }
    }

    /// Whether the trusted set the firewall enforces (trusted minus exclusions) holds `address`.
    public func isTrusted(_ address: AnyCIDR) -> Bool {
        let set = trustedSet
        // Binary search would do for 100k intervals; an audit asks a few dozen times.
        switch address {
        case .v4(let cidr): return set.ipv4.contains { $0.contains(cidr.first) && $0.contains(cidr.last) }
        case .v6(let cidr): return set.ipv6.contains { $0.contains(cidr.first) && $0.contains(cidr.last) }
        }
    }

    /// The addresses in `prefix` that the trusted set does not hold (empty when it holds all).
    public func untrustedPart(of prefix: AnyCIDR) -> AggregatedPrefixes {
        var aggregator = PrefixAggregator()
        aggregator.include(prefix)
        let set = trustedSet
        for range in set.ipv4 { for cidr in Intervals.cidrs([range]) { aggregator.exclude(.v4(cidr)) } }
        for range in set.ipv6 { for cidr in Intervals.cidrs([range]) { aggregator.exclude(.v6(cidr)) } }
        return aggregator.aggregate()
    }

    /// The trusted set the firewall enforces, computed once.
    private let trustedSet: AggregatedPrefixes
}

/// An address assigned to an interface, with the length of its subnet.
public struct InterfaceAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address itself (a host prefix).
    public var address: AnyCIDR
    /// The subnet it was assigned in (`192.168.60.0/24`).
    public var subnet: AnyCIDR
    public init(address: AnyCIDR, subnet: AnyCIDR) {
        self.address = address
        self.subnet = subnet
    }
    public var description: String { "\(address.description.split(separator: "/")[0])/\(subnet.length)" }
}

extension AnyCIDR {
    /// Whether every address of `other` is in this prefix (false across families).
    public func containsPrefix(_ other: AnyCIDR) -> Bool {
        switch (self, other) {
        case (.v4(let outer), .v4(let inner)): outer.contains(inner)
        case (.v6(let outer), .v6(let inner)): outer.contains(inner)
        default: false
        }
    }

    /// The address without `/length` when it is a host prefix.
    public var addressText: String {
        isHost ? String(description.split(separator: "/")[0]) : description
    }
}
