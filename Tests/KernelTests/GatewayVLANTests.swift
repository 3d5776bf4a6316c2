import Foundation
import Testing
import TestSupport

/// A bridged gateway on a trunk: frames carrying an 802.1Q tag are filtered like untagged
/// ones, and double-tagged (QinQ) frames, whose addresses migfw's rules cannot read, are
/// dropped rather than passed unseen. The test kernel has no 802.1Q module, so the tagged
/// SYNs are written raw (`Tests/Testbed/frame.py`) from the untrusted peer's port, and
/// counted as they arrive on hv's `mig0`.
@Suite(.enabled(if: KernelGate.available, "packet tests need root"))
struct GatewayVLANTests {
    static let frameTool = packageRoot.appendingPathComponent("Tests/Testbed/frame.py").path

    struct Case: Sendable, CustomStringConvertible {
        var source: String
        var destination: String
        var port: UInt16
        var tags: [Int]
        var arrivesThroughMigfw: Bool
        /// The outer tag's type (0x9100: an older QinQ type the stack does not take off).
        var outerTPID: Int = 0x8100
        var description: String { "\(source) -> \(destination):\(port) tags \(tags) outer 0x\(String(outerTPID, radix: 16))" }
    }

    @Test func taggedFramesAreFilteredAndDoubleTaggedOnesDropped() async throws {
        let testbed = try await onOwnThread { try Testbed() }
        defer { testbed.destroy() }
        let scratch = try testbed.scratchDirectory()
        let hv4 = testbed.address(.hv, .v4), hv6 = testbed.address(.hv, .v6)
        let untrusted4 = testbed.address(.untrusted, .v4), untrusted6 = testbed.address(.untrusted, .v6)
        let trusted4 = testbed.address(.trusted, .v4), trusted6 = testbed.address(.trusted, .v6)
        let cases = [
            Case(source: untrusted4, destination: hv4, port: 6600, tags: [100], arrivesThroughMigfw: false),
            Case(source: untrusted6, destination: hv6, port: 6600, tags: [100], arrivesThroughMigfw: false),
            Case(source: untrusted4, destination: hv4, port: 6600, tags: [], arrivesThroughMigfw: false),
            Case(source: untrusted4, destination: hv4, port: PacketProfile.otherPort, tags: [100], arrivesThroughMigfw: true),
            Case(source: trusted4, destination: hv4, port: 6600, tags: [100], arrivesThroughMigfw: true),
            Case(source: trusted6, destination: hv6, port: 6600, tags: [100], arrivesThroughMigfw: true),
            Case(source: trusted4, destination: hv4, port: 6600, tags: [100, 200], arrivesThroughMigfw: false),
            // A tag the rules cannot read through is dropped like QinQ, from a trusted source too.
            Case(source: trusted4, destination: hv4, port: 6600, tags: [100], arrivesThroughMigfw: false, outerTPID: 0x9100),
        ]
        let mac = try await onOwnThread {
            try testbed.exec(.hv, ["cat", "/sys/class/net/mig0/address"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // Without migfw, every frame crosses the bridge: a missing one later is migfw's doing.
        for item in cases {
            let arrived = try await onOwnThread { try Self.send(item, testbed: testbed, mac: mac) }
            #expect(arrived == 1, "no migfw table: \(item) arrived \(arrived) times")
        }
        let policy = try await onOwnThread {
            try Testbed.policy(profile: "hyperv", dedicated: false, egress: true, gateway: "bridge")
        }
        let file = scratch.appendingPathComponent("policy.yaml")
        try policy.write(to: file, atomically: true, encoding: .utf8)
        let seg = testbed.namespace(.seg)
        let applied = try await onOwnThread {
            try migfw(["apply", "-c", file.path, "--netns", seg, "--state-dir", scratch.appendingPathComponent("state").path,
                       "--lock-file", scratch.appendingPathComponent("lock").path])
        }
        try #require(applied.status == 0, "migfw apply: \(applied.stderr)")
        for item in cases {
            let arrived = try await onOwnThread { try Self.send(item, testbed: testbed, mac: mac) }
            #expect(arrived == (item.arrivesThroughMigfw ? 1 : 0), "bridged gateway: \(item) arrived \(arrived) times")
        }
        let listing = try await onOwnThread { try testbed.exec(.seg, ["nft", "list", "chain", "bridge", "migfw", "forward"]).stdout }
        let qinq = listing.split(separator: "\n").first { $0.contains("meta protocol 8021q counter") }
        #expect(qinq.map { dropPackets(inListing: String($0)) } == 1, "the QinQ frame is counted: \(listing)")
    }

    /// Sends one SYN of `item` from the untrusted peer to hv's MAC; returns how many arrived on hv.
    static func send(_ item: Case, testbed: Testbed, mac: String) throws -> Int {
        let tags = item.tags.map { " --vlan \($0)" }.joined() + " --outer-tpid 0x\(String(item.outerTPID, radix: 16))"
        // The counter is started first and the SYN sent once it says its socket is open; it
        // then waits 1.5 s from the moment the sender is done (a loaded machine can take a
        // while to start Python), or stops at the first SYN that arrives.
        let script = """
            err=$(mktemp); done=$(mktemp -u)
            ip netns exec \(testbed.namespace(.hv)) python3 \(frameTool) count mig0 \(item.destination) \(item.port) 1.5 "$done" 2>"$err" &
            counter=$!
            for _ in $(seq 600); do grep -q ready "$err" && break; sleep 0.05; done
            ip netns exec \(testbed.namespace(.untrusted)) python3 \(frameTool) send eth0 \(mac) \(item.source) \(item.destination) \(item.port)\(tags)
            touch "$done"
            wait $counter
            rm -f "$err" "$done"
            """
        let output = try runChecked(["bash", "-c", script]).stdout
        guard let count = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw FrameToolFailed(output: output)
        }
        return count
    }
}

struct FrameToolFailed: Error, CustomStringConvertible {
    var output: String
    var description: String { "frame.py count printed '\(output)'" }
}
