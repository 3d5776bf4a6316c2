import Foundation
import TestSupport

/// A throwaway namespace with a migration NIC (`mig0`, one end of a veth pair) plus a
/// private directory for the policy, migfw's state, lock and metrics, so kernel tests of
/// plan/apply/reconcile never share files with each other or with the host's /run.
final class PlanLab: @unchecked Sendable {
    let namespace: TestNamespace
    let directory: URL
    var policyPath: String { directory.appendingPathComponent("migfw.yaml").path }
    var stateDirectory: String { directory.appendingPathComponent("state").path }
    var lockFile: String { directory.appendingPathComponent("migfw.lock").path }
    var metricsFile: String { directory.appendingPathComponent("migfw.prom").path }

    init(tag: String) throws {
        namespace = try TestNamespace(tag: tag)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(namespace.name)-files")
        do {
            try namespace.exec(["ip", "link", "add", "mig0", "type", "veth", "peer", "name", "mig0p"])
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try writePolicy()
        } catch {
            destroy()
            throw error
        }
    }

    /// Writes the test policy: two IPv4 networks/hosts, one IPv6 network, an exclusion.
    func writePolicy(extraTrusted: [String] = [], networks: [String]? = nil) throws {
        let trusted = (networks ?? ["192.168.10.0/24", "\"2001:db8:10::/64\""]) + extraTrusted
        let text = """
            version: 1
            interface: mig0
            profile: libvirt
            dedicated: true
            trusted:
              networks: [\(trusted.joined(separator: ", "))]
              hosts: [192.168.20.11]
            exclude: [192.168.10.1]

            """
        try text.write(toFile: policyPath, atomically: true, encoding: .utf8)
    }

    /// Writes a gateway-mode policy (`via`: routed or bridge) protecting one IPv4 and one
    /// IPv6 host, trusting what ``writePolicy(extraTrusted:networks:)`` trusts.
    func writeGatewayPolicy(via: String, extraTrusted: [String] = [], egress: Bool = true) throws {
        let trusted = ["192.168.10.0/24", "\"2001:db8:10::/64\""] + extraTrusted
        let text = """
            version: 1
            mode: gateway
            gateway: { via: \(via) }
            interface: mig0
            profile: hyperv
            egress: \(egress)
            protected:
              hosts: [10.20.0.10, "fd00:20::10"]
            trusted:
              networks: [\(trusted.joined(separator: ", "))]
              hosts: [192.168.20.11]
            exclude: [192.168.10.1]

            """
        try text.write(toFile: policyPath, atomically: true, encoding: .utf8)
    }

    /// Runs `migfw COMMAND` against this lab's namespace, policy and files.
    @discardableResult
    func run(_ command: String, _ extra: [String] = [], environment: [String: String] = [:]) throws -> CommandResult {
        var arguments = [command, "--netns", namespace.name, "--state-dir", stateDirectory]
        if command != "confirm" { arguments += ["-c", policyPath] }
        if command == "apply" || command == "reconcile" { arguments += ["--lock-file", lockFile] }
        return try migfw(arguments + extra, environment: ["MIGFW_LOG": "stderr", "NO_COLOR": "1"].merging(environment) { $1 })
    }

    /// `nft ARGS` inside the namespace; throws on failure.
    @discardableResult
    func nft(_ arguments: String...) throws -> String { try namespace.exec(["nft"] + arguments).stdout }

    /// `nft list ruleset` inside the namespace.
    func ruleset() throws -> String { try namespace.ruleset() }

    func destroy() {
        namespace.destroy()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { destroy() }
}

/// Runs `body` with a fresh lab, destroyed afterwards (also on failure).
func withPlanLab<T>(tag: String, _ body: (PlanLab) throws -> T) throws -> T {
    let lab = try PlanLab(tag: tag)
    defer { lab.destroy() }
    return try body(lab)
}
