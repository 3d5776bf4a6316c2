import Foundation
import Testing
import TestSupport

/// migfw proven with packets: real listeners on each profile's ports in a hypervisor
/// namespace, real connections from trusted, untrusted and excluded peers on its migration
/// segment and from its management link, IPv4 and IPv6, bounded by 1 s.
///
/// One testbed per profile (profiles run in parallel); in it, in turn: no table, dedicated
/// with egress restricted, non-dedicated with egress free, and `migfw delete`. Processes run
/// through ``onOwnThread(_:)``; every check happens back on the test's task.
@Suite(.enabled(if: KernelGate.available, "packet tests need root"))
struct PacketTests {
    @Test("only trusted peers reach the migration ports", arguments: PacketProfile.all)
    func onlyTrustedPeersMigrate(profile: PacketProfile) async throws {
        let testbed = try await onOwnThread { try Testbed() }
        defer { testbed.destroy() }
        // migfw's lock and state files default to /run: keep this run's away from other runs.
        let scratch = try testbed.scratchDirectory()
        try await onOwnThread {
            try testbed.listen(on: .hv, ports: profile.ports + [PacketProfile.otherPort])
            try testbed.listen(on: .trusted, ports: profile.ports)
            try testbed.listen(on: .untrusted, ports: profile.ports)
            try testbed.listen(on: .mgmt, ports: profile.ports)
        }
        // Before migfw, everything connects: a later refusal is migfw's doing.
        try await verify(testbed, profile, .open)

        for (dedicated, egress) in [(true, true), (false, false)] {
            let state = FirewallState.applied(dedicated: dedicated, egress: egress)
            try await apply(testbed, profile, dedicated: dedicated, egress: egress, scratch: scratch)
            let dropsBefore = try await dropCounter(testbed)
            let refused = try await verify(testbed, profile, state)
            let dropsAfter = try await dropCounter(testbed)
            // Every refused attempt sent at least one packet that a drop rule counted.
            #expect(dropsAfter - dropsBefore >= refused,
                    "\(profile) \(state): \(refused) attempts refused, drop counters rose by \(dropsAfter - dropsBefore)")
            // `migfw status` reports the same counters the kernel lists.
            #expect(try await statusDropCounter(testbed) == dropsAfter, "\(profile) \(state): migfw status --json")
        }

        let hv = testbed.namespace(.hv)
        let deleted = try await onOwnThread { try migfw(["delete", "--netns", hv]) }
        #expect(deleted.status == 0, "migfw delete: \(deleted.stderr)")
        let tables = try await onOwnThread { try testbed.exec(.hv, ["nft", "list", "tables"]).stdout }
        #expect(!tables.contains("migfw"))
        try await verify(testbed, profile, .open)
    }

    /// Writes the testbed's policy for `profile` and applies it in the hypervisor namespace.
    private func apply(
        _ testbed: Testbed, _ profile: PacketProfile, dedicated: Bool, egress: Bool, scratch: URL
    ) async throws {
        let result = try await onOwnThread {
            let policy = try Testbed.policy(
                profile: profile.name, performance: profile.performance, dedicated: dedicated, egress: egress)
            return try testbed.apply(policy, on: .hv, scratch: scratch, name: "policy-\(dedicated)-\(egress).yaml")
        }
        try #require(result.status == 0, "migfw apply (\(profile), dedicated \(dedicated), egress \(egress)): \(result.stderr)")
    }

    /// Makes every attempt of `state` at once and checks each outcome; returns how many
    /// inbound attempts were (rightly) refused.
    @discardableResult
    private func verify(_ testbed: Testbed, _ profile: PacketProfile, _ state: FirewallState) async throws -> Int {
        let expectations = packetExpectations(testbed, profile, state)
        let probes = expectations.map(\.probe)
        let outcomes = try await onOwnThread { try testbed.probe(probes, timeout: 1) }
        let wrong = expectations.filter { outcomes[$0.probe]?.connected != $0.connects }
        let report = wrong.map { expectation in
            let outcome = outcomes[expectation.probe].map(\.rawValue) ?? "?"
            let wanted = expectation.connects ? "connected" : "refused"
            return "  \(expectation.probe): \(outcome), expected \(wanted) (\(expectation.rule))"
        }
        if !wrong.isEmpty {
            Issue.record("\(profile), \(state): \(wrong.count) of \(expectations.count) attempts went the wrong way:\n\(report.joined(separator: "\n"))")
        }
        // A firewall drop looks like silence (or EPERM on the way out), never like a reset.
        let unlikeDrops = expectations.filter { !$0.connects }.compactMap { expectation in
            outcomes[expectation.probe].flatMap { $0 == .refused || $0 == .unreachable ? "\(expectation.probe): \($0)" : nil }
        }
        #expect(unlikeDrops.isEmpty, "refused, but not by a drop")
        return expectations.filter { !$0.connects && $0.probe.from != .hv }.count
    }

    /// The packets counted by the drop rules of `table inet migfw` in the hypervisor namespace.
    private func dropCounter(_ testbed: Testbed) async throws -> Int {
        let listing = try await onOwnThread { try testbed.exec(.hv, ["nft", "list", "table", "inet", "migfw"]) }
        try #require(listing.status == 0, "nft list table inet migfw: \(listing.stderr)")
        return dropPackets(inListing: listing.stdout)
    }

    /// The packets of the drop rules as `migfw status --json` reports them.
    private func statusDropCounter(_ testbed: Testbed) async throws -> Int {
        let hv = testbed.namespace(.hv)
        let status = try await onOwnThread { try migfw(["status", "--netns", hv, "--json"]) }
        try #require(status.status == 0, "migfw status: \(status.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let rules = try #require(json?["rules"] as? [[String: Any]], "no rules in \(status.stdout)")
        return rules.reduce(0) { total, rule in
            guard let text = rule["rule"] as? String, text.hasSuffix("drop") else { return total }
            return total + ((rule["packets"] as? Int) ?? 0)
        }
    }
}

/// Sums `counter packets N` over the rules of an `nft list` listing that end in `drop`.
func dropPackets(inListing listing: String) -> Int {
    listing.split(separator: "\n").reduce(0) { total, line in
        guard line.contains(" drop"), let range = line.range(of: "counter packets ") else { return total }
        let digits = line[range.upperBound...].prefix { $0.isNumber }
        return total + (Int(digits) ?? 0)
    }
}
