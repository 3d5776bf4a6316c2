import Foundation
import Testing
import TestSupport

/// `migfw check` on the gateway itself warns when the protected hosts' traffic cannot pass
/// there: no route toward a protected address (routed), or a bridge without ports (bridged);
/// and says nothing when run elsewhere (the policy's interface does not exist).
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"))
struct GatewayTopologyTests {
    static func policy(via: String, interface: String, protected: String) -> String {
        """
        version: 1
        mode: gateway
        gateway: { via: \(via) }
        interface: \(interface)
        profile: hyperv
        trusted:
          networks: [10.10.30.0/24]
        protected:
          hosts: [\(protected)]
        """
    }

    func check(_ policy: String, in namespace: TestNamespace) throws -> (status: Int32, ids: [String]) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("migfw-topology-\(UUID().uuidString).yaml")
        try policy.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let profiles = packageRoot.appendingPathComponent("templates/profiles").path
        let result = try namespace.exec(["env", "MIGFW_PROFILES_DIR=\(profiles)", migfwBinary, "check", "--json", "-c", file.path])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let ids = (object?["findings"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        return (result.status, ids)
    }

    @Test func warnsWhenTheProtectedHostsTrafficCannotPassHere() throws {
        try withNamespace(tag: "topo") { namespace in
            for command in [
                ["ip", "link", "add", "prod0", "type", "veth", "peer", "name", "prod0p"],
                ["ip", "addr", "add", "10.20.30.1/24", "dev", "prod0"],
                ["ip", "addr", "add", "fd00:20::1/64", "dev", "prod0", "nodad"],
                ["ip", "link", "set", "prod0", "up"], ["ip", "link", "set", "prod0p", "up"],
                ["ip", "link", "add", "br0", "type", "bridge"],
            ] {
                try namespace.exec(command)
            }
            let routed = try check(Self.policy(via: "routed", interface: "prod0", protected: "10.20.30.21, \"fd00:20::21\""), in: namespace)
            #expect(routed.status == 0)
            #expect(!routed.ids.contains("gateway-no-route"), "\(routed.ids)")
            let unrouted = try check(Self.policy(via: "routed", interface: "prod0", protected: "10.99.0.1, \"fd00:99::1\""), in: namespace)
            #expect(unrouted.status == 0, "a warning, not an error")
            #expect(unrouted.ids.filter { $0 == "gateway-no-route" }.count == 2, "\(unrouted.ids)")
            let bare = try check(Self.policy(via: "bridge", interface: "br0", protected: "10.20.30.21"), in: namespace)
            #expect(bare.ids.contains("gateway-bridge-ports"), "\(bare.ids)")
            let notBridge = try check(Self.policy(via: "bridge", interface: "prod0", protected: "10.20.30.21"), in: namespace)
            #expect(notBridge.ids.contains("gateway-not-a-bridge"), "\(notBridge.ids)")
            for port in ["prod0p", "prod0"] {
                _ = try namespace.exec(["ip", "link", "set", port, "master", "br0"])
            }
            let cabled = try check(Self.policy(via: "bridge", interface: "br0", protected: "10.20.30.21"), in: namespace)
            #expect(!cabled.ids.contains("gateway-bridge-ports"), "\(cabled.ids)")
            let elsewhere = try check(Self.policy(via: "routed", interface: "absent0", protected: "10.99.0.1"), in: namespace)
            #expect(!elsewhere.ids.contains("gateway-no-route"), "not on the gateway: \(elsewhere.ids)")
        }
    }

    /// A gateway whose own address is trusted lets its own connections and every client of a
    /// relay on it through (the review's finding: a broad trusted network said so unnoticed).
    @Test func warnsWhenTheGatewaysOwnAddressIsTrusted() throws {
        try withNamespace(tag: "topo") { namespace in
            for command in [
                ["ip", "link", "add", "prod0", "type", "veth", "peer", "name", "prod0p"],
                ["ip", "addr", "add", "10.20.30.1/24", "dev", "prod0"],
                ["ip", "link", "add", "trust0", "type", "veth", "peer", "name", "trust0p"],
                ["ip", "addr", "add", "10.10.30.1/24", "dev", "trust0"],
                ["ip", "link", "set", "prod0", "up"], ["ip", "link", "set", "trust0", "up"],
            ] {
                try namespace.exec(command)
            }
            let trusted = try check(Self.policy(via: "routed", interface: "prod0", protected: "10.20.30.21"), in: namespace)
            #expect(trusted.status == 0, "a warning, not an error")
            #expect(trusted.ids.filter { $0 == "gateway-address-trusted" }.count == 1, "\(trusted.ids)")
            let excluded = try check(Self.policy(via: "routed", interface: "prod0", protected: "10.20.30.21") + "\nexclude: [10.10.30.1]\n",
                                     in: namespace)
            #expect(!excluded.ids.contains("gateway-address-trusted"), "\(excluded.ids)")
            _ = try namespace.exec(["ip", "addr", "del", "10.10.30.1/24", "dev", "trust0"])
            _ = try namespace.exec(["ip", "addr", "add", "10.10.31.1/24", "dev", "trust0"])
            let untrusted = try check(Self.policy(via: "routed", interface: "prod0", protected: "10.20.30.21"), in: namespace)
            #expect(!untrusted.ids.contains("gateway-address-trusted"), "\(untrusted.ids)")
        }
    }
}
