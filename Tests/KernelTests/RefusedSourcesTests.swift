import Foundation
import Testing
import TestSupport

/// Who was refused: real TCP connection attempts from two untrusted peers (`untrusted`, and
/// `excluded`, which sits in the trusted network but is excluded) and a trusted one, IPv4 and
/// IPv6; the kernel's per-source counters in migfw's `refused4` / `refused6` sets, read by
/// `migfw status` and reconcile's metrics; the sets' contents never count as drift.
@Suite(.enabled(if: KernelGate.available, "refused-source tests need root"))
struct RefusedSourcesTests {
    static let port: UInt16 = 6600

    @Test func statusListsTheRefusedPeersWithCountsAndPlanStaysInSync() async throws {
        let testbed = try await onOwnThread { try Testbed() }
        defer { testbed.destroy() }
        let scratch = try testbed.scratchDirectory()
        let hv = testbed.namespace(.hv)
        let file = scratch.appendingPathComponent("policy.yaml")
        let common = ["-c", file.path, "--netns", hv, "--state-dir", scratch.appendingPathComponent("state").path]
        let lock = ["--lock-file", scratch.appendingPathComponent("lock").path]
        let applied = try await onOwnThread {
            try testbed.listen(on: .hv, ports: [Self.port])
            try Testbed.policy(profile: "hyperv", dedicated: true, egress: false).write(to: file, atomically: true, encoding: .utf8)
            return try migfw(["apply"] + common + lock)
        }
        try #require(applied.status == 0, "migfw apply: \(applied.stderr)")

        let hv4 = testbed.address(.hv, .v4), hv6 = testbed.address(.hv, .v6)
        let probes = [Testbed.Node.trusted, .untrusted, .excluded].flatMap { node in
            [Probe(from: node, to: hv4, port: Self.port), Probe(from: node, to: hv6, port: Self.port)]
        }
        let outcomes = try await onOwnThread { try testbed.probe(probes, timeout: 1) }
        for probe in probes {
            #expect(outcomes[probe]?.connected == (probe.from == .trusted), "\(probe): \(String(describing: outcomes[probe]))")
        }

        let status = try await onOwnThread { try migfw(["status", "--netns", hv, "--json"]) }
        try #require(status.status == 0, "migfw status: \(status.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let refused = try #require(json?["refused"] as? [[String: Any]], "no refused sources in \(status.stdout)")
        let bySource = Dictionary(refused.compactMap { entry in (entry["source"] as? String).map { ($0, entry) } },
                                  uniquingKeysWith: { first, _ in first })
        for node in [Testbed.Node.untrusted, .excluded] {
            for family in Testbed.Family.allCases {
                let address = testbed.address(node, family)
                let entry = bySource[address]
                #expect((entry?["packets"] as? Int ?? 0) > 0, "\(node) \(address) not listed with packets: \(refused)")
                #expect((entry?["bytes"] as? Int ?? 0) > 0, "\(node) \(address): no bytes")
                // A TCP SYN retransmits for a second at most here; the set's timeout is an hour.
                let seen = entry?["last_seen_seconds_ago"] as? Int
                #expect(seen != nil && seen! <= 60, "\(node) \(address): last seen \(String(describing: seen))")
            }
        }
        for family in Testbed.Family.allCases {
            #expect(bySource[testbed.address(.trusted, family)] == nil, "the trusted peer is listed as refused")
        }
        #expect(refused.count == 4, "\(refused)")
        let packets = refused.compactMap { $0["packets"] as? Int }
        #expect(packets == packets.sorted(by: >), "not sorted by packets: \(packets)")

        let text = try await onOwnThread { try migfw(["status", "--netns", hv]) }
        #expect(text.stdout.contains("refused sources on the migration ports (4, most packets first):"), "\(text.stdout)")
        #expect(text.stdout.contains("  \(testbed.address(.untrusted, .v4)): "), "\(text.stdout)")
        #expect(text.stdout.contains("  set refused4 (ipv4_addr, dynamic): 2 sources of at most 4096\n"), "\(text.stdout)")

        // Runtime state is not drift: plan is in sync, reconcile repairs nothing and leaves
        // the sources where they are.
        let plan = try await onOwnThread { try migfw(["plan"] + common) }
        #expect(plan.status == 0, "migfw plan: \(plan.stdout)\(plan.stderr)")
        let metrics = scratch.appendingPathComponent("migfw.prom")
        for full in [false, true] {
            let reconcile = try await onOwnThread {
                try migfw(["reconcile"] + common + lock + ["--metrics-file", metrics.path] + (full ? ["--full"] : []))
            }
            #expect(reconcile.status == 0, "migfw reconcile\(full ? " --full" : ""): \(reconcile.stderr)")
            let exported = try String(contentsOf: metrics, encoding: .utf8)
            #expect(exported.contains("migfw_in_sync 1\n"), "\(exported)")
            // Elements the packet path adds leave the generation id alone: the fast path holds.
            #expect(exported.contains("migfw_fast_path \(full ? 0 : 1)\n"), "\(exported)")
            #expect(exported.contains("migfw_refused_sources 4\n"), "\(exported)")
            let labelled = exported.split(separator: "\n").filter { $0.hasPrefix("migfw_refused_packets{source=") }
            #expect(labelled.count == 4, "\(exported)")
            #expect(labelled.contains { $0.hasPrefix("migfw_refused_packets{source=\"\(testbed.address(.excluded, .v6))\"} ") })
        }
        let listing = try await onOwnThread { try testbed.exec(.hv, ["nft", "list", "set", "inet", "migfw", "refused4"]).stdout }
        #expect(listing.contains(testbed.address(.untrusted, .v4)) && listing.contains(testbed.address(.excluded, .v4)), "\(listing)")
    }

    /// The size bound holds against the control plane too: the kernel refuses an element
    /// beyond `size`, and a full set is still no drift.
    @Test func theSizeBoundHoldsAndAFullSetIsNoDrift() throws {
        try withNamespace(tag: "refz") { namespace in
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(namespace.name)
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            try namespace.exec(["ip", "link", "add", "mig0", "type", "veth", "peer", "name", "mig0p"])
            let file = scratch.appendingPathComponent("policy.yaml")
            try Testbed.policy(profile: "hyperv", dedicated: true, egress: false).write(to: file, atomically: true, encoding: .utf8)
            let common = ["-c", file.path, "--netns", namespace.name, "--state-dir", scratch.appendingPathComponent("state").path]
            let applied = try migfw(["apply"] + common + ["--lock-file", scratch.appendingPathComponent("lock").path])
            try #require(applied.status == 0, "migfw apply: \(applied.stderr)")

            // 4096 fill the set exactly (one batch); one more is refused by the kernel.
            let addresses = (0..<4096).map { "10.\($0 / 256).\($0 % 256).1" }
            let fill = "add element inet migfw refused4 { \(addresses.joined(separator: ", ")) }\n"
            let filled = try namespace.tryExec(["nft", "-f", "-"], input: fill)
            #expect(filled.status == 0, "\(filled.stderr)")
            let overflow = try namespace.tryExec(["nft", "add", "element", "inet", "migfw", "refused4", "{ 10.200.0.1 }"])
            #expect(overflow.status != 0, "an element beyond size 4096 was accepted")
            let listed = try namespace.exec(["nft", "-j", "list", "set", "inet", "migfw", "refused4"]).stdout
            #expect(!listed.contains("10.200.0.1"))

            let status = try migfw(["status", "--netns", namespace.name, "--json"])
            let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
            #expect((json?["refused"] as? [Any])?.count == 4096)
            let text = try migfw(["status", "--netns", namespace.name])
            #expect(text.stdout.contains("  ... and 4076 more (--json lists all)"), "\(text.stdout.suffix(400))")

            let plan = try migfw(["plan"] + common)
            #expect(plan.status == 0, "a full refused set is drift: \(plan.stdout)\(plan.stderr)")
        }
    }

    /// A full set (a flood from spoofed sources) records no more sources, and the refusal
    /// still happens: the recorder is a rule of its own before the drop.
    @Test func aFullSetStillDrops() async throws {
        let testbed = try await onOwnThread { try Testbed() }
        defer { testbed.destroy() }
        let scratch = try testbed.scratchDirectory()
        let hv = testbed.namespace(.hv)
        let applied = try await onOwnThread {
            try testbed.listen(on: .hv, ports: [Self.port])
            let file = scratch.appendingPathComponent("policy.yaml")
            try Testbed.policy(profile: "hyperv", dedicated: true, egress: false).write(to: file, atomically: true, encoding: .utf8)
            return try migfw(["apply", "-c", file.path, "--netns", hv, "--state-dir", scratch.appendingPathComponent("state").path,
                              "--lock-file", scratch.appendingPathComponent("lock").path])
        }
        try #require(applied.status == 0, "migfw apply: \(applied.stderr)")
        let addresses = (0..<4096).map { "10.\($0 / 256).\($0 % 256).1" }
        let filled = try await onOwnThread {
            try testbed.exec(.hv, ["nft", "add", "element", "inet", "migfw", "refused4", "{ \(addresses.joined(separator: ", ")) }"])
        }
        try #require(filled.status == 0, "\(filled.stderr)")

        let untrusted = Probe(from: .untrusted, to: testbed.address(.hv, .v4), port: Self.port)
        let trusted = Probe(from: .trusted, to: testbed.address(.hv, .v4), port: Self.port)
        let outcomes = try await onOwnThread { try testbed.probe([untrusted, trusted], timeout: 1) }
        #expect(outcomes[untrusted] == .timeout, "\(String(describing: outcomes[untrusted]))")
        #expect(outcomes[trusted] == .open)
        let listing = try await onOwnThread { try testbed.exec(.hv, ["nft", "list", "set", "inet", "migfw", "refused4"]).stdout }
        #expect(!listing.contains(testbed.address(.untrusted, .v4)), "a source entered a full set")
        let status = try await onOwnThread { try migfw(["status", "--netns", hv, "--json"]) }
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        #expect((json?["refused"] as? [Any])?.count == 4096)
    }
}
