import Foundation
import Testing
import TestSupport

/// Host mode closes migration-only ports on the other NICs for every address they have
/// (#19): from the management peer, hv's management link-local address and an extra IPv6
/// address (SLAAC or privacy would be one) are refused on 49152, the shared 16514 stays open;
/// all connect before migfw and after `migfw delete`.
@Suite(.enabled(if: KernelGate.available, "packet tests need root"))
struct HostDoorsTests {
    @Test func everyAddressOfAnotherNICIsClosed() async throws {
        let testbed = try await onOwnThread { try Testbed() }
        defer { testbed.destroy() }
        let scratch = try testbed.scratchDirectory()
        let extra = "fd00:16::99"
        let linkLocal = try await onOwnThread { () throws -> String in
            try testbed.listen(on: .hv, ports: [49152, 16514])
            try testbed.exec(.hv, ["ip", "addr", "add", "\(extra)/64", "dev", "mgmt0", "nodad"])
            return try testbed.linkLocalAddress(.hv, device: "mgmt0") + "%eth0"
        }
        let closed = [Probe(from: .mgmt, to: linkLocal, port: 49152), Probe(from: .mgmt, to: extra, port: 49152)]
        let shared = [Probe(from: .mgmt, to: linkLocal, port: 16514), Probe(from: .mgmt, to: extra, port: 16514)]
        _ = try await onOwnThread { try testbed.probe(closed + shared, timeout: 3) }
        var outcomes = try await onOwnThread { try testbed.probe(closed + shared, timeout: 1) }
        #expect((closed + shared).allSatisfy { outcomes[$0] == .open }, "no migfw table: \(outcomes)")

        let policy = try Testbed.policy(profile: "libvirt", dedicated: true, egress: false)
        let applied = try await onOwnThread { try testbed.apply(policy, on: .hv, scratch: scratch) }
        try #require(applied.status == 0, "\(applied.stderr)")
        outcomes = try await onOwnThread { try testbed.probe(closed + shared, timeout: 1) }
        #expect(closed.allSatisfy { outcomes[$0] == .timeout }, "migration-only port on another NIC: \(outcomes)")
        #expect(shared.allSatisfy { outcomes[$0] == .open }, "shared port on another NIC: \(outcomes)")

        let deleted = try await onOwnThread { try migfw(["delete", "--netns", testbed.namespace(.hv)]) }
        #expect(deleted.status == 0, "\(deleted.stderr)")
        outcomes = try await onOwnThread { try testbed.probe(closed + shared, timeout: 1) }
        #expect((closed + shared).allSatisfy { outcomes[$0] == .open }, "after migfw delete: \(outcomes)")
    }
}
