import Foundation
import Testing
import TestSupport

/// Gateway mode proven with packets: hv stands in for a Hyper-V/ESXi host that runs no
/// firewall of its own, and migfw's table sits on the machine in front of it, either a
/// router (`gw`, between the development segment of the peers and hv's production segment)
/// or the Linux bridge (`seg`) the peers and hv hang off. Every profile, IPv4 and IPv6:
/// trusted peers reach hv's migration ports, untrusted and excluded ones time out, a
/// non-migration port stays open to everyone, hv migrating out to an untrusted peer is
/// refused when egress is on, the drop counters count the refusals, and `migfw delete`
/// restores open forwarding.
@Suite(.enabled(if: KernelGate.available, "packet tests need root"))
struct GatewayPacketTests {
    @Test("routed gateway: only trusted peers reach the protected host", arguments: PacketProfile.all)
    func routed(profile: PacketProfile) async throws {
        try await run(profile, via: "routed")
    }

    @Test("bridged gateway: only trusted peers reach the protected host", arguments: PacketProfile.all)
    func bridged(profile: PacketProfile) async throws {
        try await run(profile, via: "bridge")
    }

    private func run(_ profile: PacketProfile, via: String) async throws {
        let routed = via == "routed"
        let testbed = try await onOwnThread { try Testbed(routed: routed) }
        defer { testbed.destroy() }
        let gateway = routed ? Testbed.Node.gw : .seg
        let scratch = try testbed.scratchDirectory()
        try await onOwnThread {
            try testbed.listen(on: .hv, ports: profile.ports + [PacketProfile.otherPort])
            try testbed.listen(on: .trusted, ports: profile.ports)
            try testbed.listen(on: .untrusted, ports: profile.ports)
            // Neighbour discovery across the router's two links: the first attempts may take
            // longer than a probe's bound; nothing is checked here.
            _ = try testbed.probe(gatewayExpectations(testbed, profile, egress: nil).map(\.probe), timeout: 3)
        }
        try await verify(testbed, profile, egress: nil, via: via)

        for egress in [true, false] {
            let policy = try await onOwnThread {
                try Testbed.policy(profile: profile.name, performance: profile.performance, dedicated: false,
                                   egress: egress, gateway: via)
            }
            let namespace = testbed.namespace(gateway)
            let applied = try await onOwnThread {
                try testbed.apply(policy, on: gateway, scratch: scratch, name: "policy-\(egress).yaml")
            }
            try #require(applied.status == 0, "migfw apply (\(profile), \(via), egress \(egress)): \(applied.stderr)")
            let family = routed ? "inet" : "bridge"
            #expect(applied.stdout.contains("table \(family) migfw"), "\(applied.stdout)")
            let before = try await dropCounter(testbed, gateway, family: family)
            let refused = try await verify(testbed, profile, egress: egress, via: via)
            let after = try await dropCounter(testbed, gateway, family: family)
            #expect(after - before >= refused, "\(profile) \(via) egress \(egress): \(refused) refused, counters rose by \(after - before)")
            #expect(refused > 0)
            let status = try await onOwnThread { try migfw(["status", "--netns", namespace, "--json"]) }
            #expect(status.status == 0)
            #expect(statusDrops(status.stdout) == after, "migfw status --json: \(status.stdout)")
            // Who was refused, counted by the kernel per source (in a bridge table too, with no conntrack).
            let refusedSources = refusedPackets(status.stdout)
            for family in Testbed.Family.allCases {
                let untrusted = testbed.address(.untrusted, family), trusted = testbed.address(.trusted, family)
                #expect((refusedSources[untrusted] ?? 0) > 0, "\(profile) \(via): \(untrusted) not listed as refused: \(refusedSources)")
                #expect(refusedSources[trusted] == nil, "\(profile) \(via): trusted \(trusted) listed as refused")
            }
        }

        let namespace = testbed.namespace(gateway)
        let deleted = try await onOwnThread { try migfw(["delete", "--netns", namespace]) }
        #expect(deleted.status == 0, "migfw delete: \(deleted.stderr)")
        let tables = try await onOwnThread { try testbed.exec(gateway, ["nft", "list", "tables"]).stdout }
        #expect(!tables.contains("migfw"))
        try await verify(testbed, profile, egress: nil, via: via)
    }

    /// Makes every attempt at once and checks each outcome; returns how many were refused.
    @discardableResult
    private func verify(_ testbed: Testbed, _ profile: PacketProfile, egress: Bool?, via: String) async throws -> Int {
        let expectations = gatewayExpectations(testbed, profile, egress: egress)
        let outcomes = try await onOwnThread { try testbed.probe(expectations.map(\.probe), timeout: 1) }
        let wrong = expectations.filter { outcomes[$0.probe]?.connected != $0.connects }
        let report = wrong.map { e in
            "  \(e.probe): \(outcomes[e.probe].map(\.rawValue) ?? "?"), expected \(e.connects ? "connected" : "refused") (\(e.rule))"
        }
        let state = egress.map { "gateway \(via), egress \($0 ? "restricted" : "free")" } ?? "no migfw table"
        if !wrong.isEmpty {
            Issue.record("\(profile), \(state): \(wrong.count) of \(expectations.count) attempts went the wrong way:\n\(report.joined(separator: "\n"))")
        }
        // A drop on the way through looks like silence to both ends, never like a reset.
        let unlikeDrops = expectations.filter { !$0.connects }.compactMap { e in
            outcomes[e.probe].flatMap { $0 == .timeout ? nil : "\(e.probe): \($0)" }
        }
        #expect(unlikeDrops.isEmpty, "refused, but not by a drop: \(unlikeDrops)")
        return expectations.filter { !$0.connects }.count
    }

    /// The drop rules' packets in `table FAMILY migfw` on the gateway.
    private func dropCounter(_ testbed: Testbed, _ gateway: Testbed.Node, family: String) async throws -> Int {
        let listing = try await onOwnThread { try testbed.exec(gateway, ["nft", "list", "table", family, "migfw"]) }
        try #require(listing.status == 0, "nft list table \(family) migfw: \(listing.stderr)")
        return dropPackets(inListing: listing.stdout)
    }

    /// Packets per refused source in `migfw status --json`.
    private func refusedPackets(_ json: String) -> [String: Int] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let refused = object["refused"] as? [[String: Any]] else { return [:] }
        return Dictionary(refused.compactMap { entry in
            (entry["source"] as? String).map { ($0, entry["packets"] as? Int ?? 0) }
        }, uniquingKeysWith: max)
    }

    private func statusDrops(_ json: String) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let rules = object["rules"] as? [[String: Any]] else { return nil }
        return rules.reduce(0) { total, rule in
            guard let text = rule["rule"] as? String, text.hasSuffix("drop") else { return total }
            return total + ((rule["packets"] as? Int) ?? 0)
        }
    }
}

/// Every attempt of the gateway tests with the outcome the design asks for; `egress` nil:
/// no migfw table, everything connects.
func gatewayExpectations(_ testbed: Testbed, _ profile: PacketProfile, egress: Bool?) -> [PacketExpectation] {
    let firewalled = egress != nil
    var all: [PacketExpectation] = []
    func add(_ from: Testbed.Node, _ address: String, _ port: UInt16, _ connects: Bool, _ rule: String) {
        all.append(PacketExpectation(probe: Probe(from: from, to: address, port: port), connects: connects, rule: rule))
    }
    for family in Testbed.Family.allCases {
        let hv = testbed.address(.hv, family)
        for port in profile.ports {
            add(.trusted, hv, port, true, "a peer in a trusted network may migrate to the protected host")
            add(.host, hv, port, true, "a trusted host may migrate to the protected host")
            add(.untrusted, hv, port, !firewalled, "an untrusted peer may not migrate to the protected host")
            add(.excluded, hv, port, !firewalled, "an excluded address may not migrate to the protected host")
            add(.hv, testbed.address(.trusted, family), port, true, "the protected host may migrate to a trusted peer")
            add(.hv, testbed.address(.untrusted, family), port, egress != true,
                egress == true ? "the protected host may migrate only to trusted peers" : "egress unrestricted")
        }
        let other = PacketProfile.otherPort
        add(.untrusted, hv, other, true, "traffic that is not migration traffic is untouched")
        add(.excluded, hv, other, true, "traffic that is not migration traffic is untouched")
    }
    return all
}
