import Foundation
import Testing
import TestSupport

/// Gateway mode guards hosts, not the addresses a policy lists (#19): with only hv's IPv4
/// address protected, an untrusted peer reaches none of hv's addresses on the migration
/// port (its IPv6 address of the unlisted family, an extra SLAAC/privacy-like address, and,
/// across a bridge, its link-local address), while trusted peers reach the global ones; the
/// gateway's own connections (a local connect, a relay as `ssh -L` would be) pass only
/// when their source is trusted, like forwarded ones. Before migfw and after `migfw delete`
/// every one of them connects, so each refusal is migfw's doing.
@Suite(.enabled(if: KernelGate.available, "packet tests need root"))
struct GatewayDoorsTests {
    /// A relay port on the gateway, forwarding to hv's migration port.
    static let relayPort: UInt16 = 9999

    @Test("routed gateway: every address of the protected host, and the gateway's own connections")
    func routed() async throws {
        try await run(via: "routed", profile: "hyperv", port: 6600, extra6: "fd00:20::99")
    }

    @Test("bridged gateway: every address of the protected host, and the gateway's own connections")
    func bridged() async throws {
        try await run(via: "bridge", profile: "vmware", port: 8000, extra6: "2001:db8:10::99")
    }

    private func run(via: String, profile: String, port: UInt16, extra6: String) async throws {
        let routed = via == "routed"
        let testbed = try await onOwnThread { try Testbed(routed: routed) }
        defer { testbed.destroy() }
        let gateway = routed ? Testbed.Node.gw : .seg
        let scratch = try testbed.scratchDirectory()
        let hv4 = testbed.address(.hv, .v4), hv6 = testbed.address(.hv, .v6)
        // The gateway's own address toward the peers: the router's, or one given to the bridge.
        let gateway4 = routed ? testbed.plan["GW4"]! : "192.168.40.40"
        let setup = try await onOwnThread { () throws -> String in
            try testbed.listen(on: .hv, ports: [port, PacketProfile.otherPort])
            // A second IPv6 address (SLAAC or a privacy address would be one) no policy lists.
            try testbed.exec(.hv, ["ip", "addr", "add", "\(extra6)/64", "dev", "mig0", "nodad"])
            if !routed {
                try testbed.exec(.seg, ["ip", "addr", "add", "\(gateway4)/16", "dev", "br0"])
            }
            try testbed.relay(on: gateway, port: Self.relayPort, to: "\(hv4),\(port)")
            return try testbed.linkLocalAddress(.hv, device: "mig0")
        }
        // Link-local: across a bridge the peers share hv's link; a router is on hv's link itself.
        let linkLocal = routed ? "\(setup)%prod0" : "\(setup)%eth0"

        var probes: [(Probe, String, Bool)] = []   // probe, what it is, connects under migfw
        for peer in [Testbed.Node.trusted, .untrusted] {
            let trusted = peer == .trusted
            probes.append((Probe(from: peer, to: hv4, port: port), "listed IPv4 address", trusted))
            probes.append((Probe(from: peer, to: hv6, port: port), "IPv6, a family the policy does not list", trusted))
            probes.append((Probe(from: peer, to: extra6, port: port), "an extra IPv6 address", trusted))
            probes.append((Probe(from: peer, to: hv4, port: PacketProfile.otherPort), "not a migration port", true))
            if !routed {
                // A connection to a link-local address comes from the peer's own link-local
                // address, which the trusted set does not hold: refused, trusted peers too.
                probes.append((Probe(from: peer, to: linkLocal, port: port), "the link-local address", false))
            }
        }
        probes.append((Probe(from: gateway, to: hv4, port: port), "the gateway's own connection", false))
        probes.append((Probe(from: gateway, to: hv4, port: PacketProfile.otherPort), "the gateway, not a migration port", true))
        if routed {
            probes.append((Probe(from: gateway, to: linkLocal, port: port), "the gateway to the link-local address", false))
        }

        // Before migfw: everything connects (warm-up first: neighbour discovery across links).
        let warmUp = probes.map(\.0)
        _ = try await onOwnThread { try testbed.probe(warmUp, timeout: 3) }
        try await check(testbed, probes, firewalled: false, relay: "\(gateway4),\(Self.relayPort)", "no migfw table")

        var policy = try await onOwnThread {
            try Testbed.policy(profile: profile, dedicated: false, egress: false, gateway: via)
        }
        // Only the IPv4 address is protected, as both shipped gateway samples write it.
        policy = policy.replacingOccurrences(of: "hosts: [\(hv4), \"\(hv6)\"]", with: "hosts: [\(hv4)]")
        try #require(policy.contains("hosts: [\(hv4)]\n"), "policy: \(policy)")
        let namespace = testbed.namespace(gateway)
        let chosen = policy
        let applied = try await onOwnThread { try testbed.apply(chosen, on: gateway, scratch: scratch) }
        try #require(applied.status == 0, "migfw apply (\(via)): \(applied.stderr)")
        try await check(testbed, probes, firewalled: true, relay: "\(gateway4),\(Self.relayPort)", "\(via) gateway")

        let deleted = try await onOwnThread { try migfw(["delete", "--netns", namespace]) }
        #expect(deleted.status == 0, "migfw delete: \(deleted.stderr)")
        try await check(testbed, probes, firewalled: false, relay: "\(gateway4),\(Self.relayPort)", "after migfw delete")
    }

    private func check(_ testbed: Testbed, _ probes: [(Probe, String, Bool)], firewalled: Bool, relay: String,
                       _ state: String) async throws {
        let attempts = probes.map(\.0)
        let outcomes = try await onOwnThread { try testbed.probe(attempts, timeout: 1) }
        for (probe, what, connectsUnderMigfw) in probes {
            let expected = !firewalled || connectsUnderMigfw
            #expect(outcomes[probe]?.connected == expected,
                    "\(state): \(probe) (\(what)): \(outcomes[probe].map(\.rawValue) ?? "?"), expected \(expected ? "connected" : "refused")")
        }
        // A relay on the gateway (its upstream leg is the gateway's own connection): it
        // reaches hv's migration port for nobody once migfw is on, trusted peers included,
        // since the gateway's own address is not trusted.
        for peer in [Testbed.Node.trusted, .untrusted] {
            let answer = try await onOwnThread { try testbed.relayed(from: peer, via: relay) }
            #expect(answer == (firewalled ? "failed" : "relayed"), "\(state): \(peer) through the relay at \(relay): \(answer)")
        }
    }
}
