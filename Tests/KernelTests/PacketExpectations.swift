import TestSupport

/// What the migfw table in the testbed's hypervisor namespace should be doing.
enum FirewallState: CustomStringConvertible {
    /// No migfw table: every listener is reachable from everywhere.
    case open
    case applied(dedicated: Bool, egress: Bool)

    var description: String {
        switch self {
        case .open: "no migfw table"
        case let .applied(dedicated, egress):
            "\(dedicated ? "dedicated" : "non-dedicated"), egress \(egress ? "restricted" : "free")"
        }
    }
}

/// One connection attempt and whether the state lets it through.
struct PacketExpectation {
    var probe: Probe
    var connects: Bool
    /// Which rule of the design the attempt exercises, for failure messages.
    var rule: String
}

/// Every attempt the packet tests make, IPv4 and IPv6, with the outcome the design asks for.
///
/// Listeners: the hypervisor on the profile's ports and ``PacketProfile/otherPort``; the
/// trusted and untrusted peers on the profile's ports (targets of egress).
func packetExpectations(_ testbed: Testbed, _ profile: PacketProfile, _ state: FirewallState) -> [PacketExpectation] {
    var dedicated = false, egressRestricted = false, firewalled = false
    if case let .applied(isDedicated, egress) = state {
        firewalled = true
        dedicated = isDedicated
        egressRestricted = egress
    }
    let other = PacketProfile.otherPort
    var all: [PacketExpectation] = []
    func add(_ from: Testbed.Node, _ address: String, _ port: UInt16, _ connects: Bool, _ rule: String) {
        all.append(PacketExpectation(probe: Probe(from: from, to: address, port: port), connects: connects, rule: rule))
    }
    for family in Testbed.Family.allCases {
        let hv = testbed.address(.hv, family)
        let management = testbed.managementAddress(family)
        let loopback = family == .v4 ? "127.0.0.1" : "::1"
        for port in profile.ports {
            let shared = profile.shared.contains(port)
            add(.trusted, hv, port, true, "a peer in a trusted network may migrate")
            add(.host, hv, port, true, "a trusted host may migrate")
            add(.untrusted, hv, port, !firewalled, "an untrusted peer may not migrate")
            add(.excluded, hv, port, !firewalled, "an excluded address may not migrate")
            add(.mgmt, management, port, !firewalled || shared,
                shared ? "a shared service stays open on the other NICs" : "migration-only ports are closed on every other NIC")
            add(.hv, loopback, port, true, "loopback is never filtered")
            add(.hv, testbed.address(.mgmt, family), port, !(egressRestricted && !shared),
                egressRestricted && !shared ? "egress: no migration over the other NICs" : "egress on the other NICs is free")
            add(.hv, testbed.address(.trusted, family), port, true, "egress to a trusted peer")
            add(.hv, testbed.address(.untrusted, family), port, !egressRestricted,
                egressRestricted ? "egress only to trusted peers" : "egress unrestricted")
        }
        let otherOpen = !dedicated
        let otherRule = dedicated ? "a dedicated NIC carries migration only" : "a shared NIC keeps its other ports"
        add(.untrusted, hv, other, otherOpen, otherRule)
        add(.excluded, hv, other, otherOpen, otherRule)
        if !dedicated {
            add(.trusted, hv, other, true, otherRule)
        }
        add(.mgmt, management, other, true, "the management NIC's other ports are not filtered")
    }
    return all
}
