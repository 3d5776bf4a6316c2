import Foundation
import Testing
import TestSupport

/// A migration NIC that becomes a bridge's port (the usual Proxmox and libvirt layout: the
/// address on `vmbr0`, the NIC its port) carries no IP traffic under its own name: the
/// packets reach the firewall as the bridge's, so rules for the NIC filter nothing and its
/// shared ports are open to anyone on the segment. apply refuses such a NIC; plan, reconcile
/// and status raise an ALERT once a loaded table's NIC is enslaved (the review's finding:
/// all of them were silent, and status said the ports were filtered there).
@Suite(.enabled(if: KernelGate.available, "packet tests need root"))
struct EnslavedNICTests {
    @Test func aMigrationNICThatIsABridgePortIsRefusedAndAlerted() async throws {
        let testbed = try await onOwnThread { try Testbed() }
        defer { testbed.destroy() }
        let scratch = try testbed.scratchDirectory()
        try await onOwnThread { try testbed.listen(on: .hv, ports: [16514]) }
        let policy = try Testbed.policy(profile: "libvirt", dedicated: true, egress: false)
        let applied = try await onOwnThread { try testbed.apply(policy, on: .hv, scratch: scratch) }
        try #require(applied.status == 0, "\(applied.stderr)")
        let hv4 = testbed.address(.hv, .v4)
        let shared = Probe(from: .untrusted, to: hv4, port: 16514)
        #expect(try await onOwnThread { try testbed.probe([shared], timeout: 1) }[shared] == .timeout,
                "mig0 filters its shared port")

        // mig0 becomes a port of br0, which takes its IPv4 address.
        let file = scratch.appendingPathComponent("policy.yaml").path
        let options = ["--netns", testbed.namespace(.hv), "--state-dir", scratch.appendingPathComponent("state").path]
        let enslaved = try await onOwnThread {
            try [["ip", "link", "add", "br0", "type", "bridge"], ["ip", "-4", "addr", "flush", "dev", "mig0"],
                 ["ip", "link", "set", "mig0", "master", "br0"], ["ip", "addr", "add", "\(hv4)/16", "dev", "br0"],
                 ["ip", "link", "set", "br0", "up"]].map { try testbed.exec(.hv, $0) }
        }
        try #require(enslaved.allSatisfy { $0.status == 0 }, "\(enslaved.map(\.stderr))")
        // The door the ALERT names is real: the shared port answers the untrusted peer now.
        #expect(try await onOwnThread { try testbed.probe([shared], timeout: 3) }[shared] == .open)

        let plan = try await onOwnThread { try migfw(["plan", "-c", file] + options) }
        #expect(plan.status == 1, "an ALERT, not in sync: \(plan.stdout)\(plan.stderr)")
        #expect(plan.stderr.contains("ALERT: interface \"mig0\" is a port of bridge \"br0\""), "\(plan.stderr)")
        let status = try await onOwnThread { try migfw(["status"] + options) }
        #expect(status.stdout.contains("paths: migration is NOT filtered on mig0: it is a port of bridge br0"), "\(status.stdout)")
        #expect(!status.stdout.contains("migration ports are filtered on mig0"), "\(status.stdout)")
        let metrics = scratch.appendingPathComponent("migfw.prom").path
        let reconcile = try await onOwnThread {
            try migfw(["reconcile", "-c", file, "--lock-file", scratch.appendingPathComponent("lock").path,
                       "--metrics-file", metrics] + options)
        }
        #expect(reconcile.status == 1, "\(reconcile.stderr)")
        #expect(try String(contentsOfFile: metrics, encoding: .utf8).contains("migfw_alert{kind=\"interface_enslaved\"} 1"))

        // A new apply refuses the NIC with the policy's file:line (exit 2), and naming the
        // bridge instead is accepted.
        let refused = try await onOwnThread { try testbed.apply(policy, on: .hv, scratch: scratch) }
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("policy.yaml:") && refused.stderr.contains("is a port of bridge \"br0\""), "\(refused.stderr)")
        let renamed = policy.replacingOccurrences(of: "interface: mig0", with: "interface: br0")
        try #require(renamed != policy)
        let accepted = try await onOwnThread { try testbed.apply(renamed, on: .hv, scratch: scratch) }
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(try await onOwnThread { try testbed.probe([shared], timeout: 1) }[shared] == .timeout,
                "br0 filters the shared port again")
    }
}
