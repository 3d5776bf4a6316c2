import Foundation
import Testing
import TestSupport

/// `interface` as a list (#19): every NIC listed gets the migration rules (trusted sources
/// only, dedicated), and the others the migration-only ports closed. In the testbed, mgmt0
/// becomes a second migration NIC: its peer is refused until it is trusted, and then it
/// migrates there as the segment's trusted peer does on mig0.
@Suite(.enabled(if: KernelGate.available, "packet tests need root"))
struct MigrationNICListTests {
    @Test func everyListedNICIsAMigrationNIC() async throws {
        let testbed = try await onOwnThread { try Testbed() }
        defer { testbed.destroy() }
        let scratch = try testbed.scratchDirectory()
        try await onOwnThread { try testbed.listen(on: .hv, ports: [49152, 16514, 8080]) }
        let base = try Testbed.policy(profile: "libvirt", dedicated: true, egress: false)
        let twoNICs = base.replacingOccurrences(of: "interface: mig0", with: "interface: [mig0, mgmt0]")
        try #require(twoNICs.contains("interface: [mig0, mgmt0]"))
        let mgmt4 = testbed.managementAddress(.v4), mgmt6 = testbed.managementAddress(.v6)
        let peer4 = testbed.address(.mgmt, .v4), peer6 = testbed.address(.mgmt, .v6)
        let probes = [Probe(from: .mgmt, to: mgmt4, port: 49152), Probe(from: .mgmt, to: mgmt6, port: 49152),
                      Probe(from: .mgmt, to: mgmt4, port: 16514), Probe(from: .mgmt, to: mgmt4, port: 8080),
                      Probe(from: .trusted, to: testbed.address(.hv, .v4), port: 49152)]
        _ = try await onOwnThread { try testbed.probe(probes, timeout: 3) }

        // mgmt0 is a migration NIC, dedicated: its untrusted peer reaches nothing there, not
        // even the shared 16514 or 8080; the trusted peer on mig0 still migrates.
        let applied = try await onOwnThread { try testbed.apply(twoNICs, on: .hv, scratch: scratch) }
        try #require(applied.status == 0, "\(applied.stderr)")
        var outcomes = try await onOwnThread { try testbed.probe(probes, timeout: 1) }
        #expect(probes.prefix(4).allSatisfy { outcomes[$0] == .timeout }, "\(outcomes)")
        #expect(outcomes[probes[4]] == .open, "\(outcomes)")
        let listing = try await onOwnThread { try testbed.exec(.hv, ["nft", "list", "chain", "inet", "migfw", "input"]).stdout }
        #expect(listing.contains("iifname \"mig0\" goto migration_in") && listing.contains("iifname \"mgmt0\" goto migration_in"),
                "\(listing)")

        // Trusted, the management peer migrates over mgmt0 (both families).
        let trusting = twoNICs.replacingOccurrences(of: "  hosts:\n", with: "  hosts:\n    - \(peer4)\n    - \"\(peer6)\"\n")
        try #require(trusting != twoNICs, "policy: \(twoNICs)")
        let reapplied = try await onOwnThread { try testbed.apply(trusting, on: .hv, scratch: scratch) }
        try #require(reapplied.status == 0, "\(reapplied.stderr)")
        outcomes = try await onOwnThread { try testbed.probe(probes, timeout: 1) }
        #expect(outcomes[probes[0]] == .open && outcomes[probes[1]] == .open, "\(outcomes)")
        #expect(outcomes[probes[3]] == .timeout, "dedicated: 8080 stays closed to it: \(outcomes)")
    }
}
