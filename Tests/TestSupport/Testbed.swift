import Foundation
import Synchronization

/// A packet testbed: a hypervisor namespace with a migration NIC `mig0` on a bridged segment
/// of trusted, untrusted and excluded peers, and a management NIC to a management peer.
///
/// A thin Swift face of `Tests/Testbed/testbed.sh`, which builds and tears it down, so the
/// tests and `samples/quickstart.sh` share one implementation. Deleted by ``destroy()``
/// or at deinit; prefer ``withTestbed(_:)``.
public final class Testbed: @unchecked Sendable {
    /// A namespace of the testbed.
    public enum Node: String, CaseIterable, Sendable {
        /// The hypervisor: `mig0` on the segment, `mgmt0` to the management peer.
        case hv
        /// The management peer, on its own link to `mgmt0`.
        case mgmt
        /// Inside the policy's trusted network.
        case trusted
        /// At a trusted host address.
        case host
        /// On the segment, trusted by nothing.
        case untrusted
        /// Inside the trusted network but excluded (the segment's router).
        case excluded
        /// The bridge namespace holding `br0` (the bridged gateway's place).
        case seg
        /// The router between the segment and hv's production segment (routed testbeds only).
        case gw
    }

    public enum Family: String, CaseIterable, Sendable { case v4 = "4", v6 = "6" }

    public static let script = packageRoot.appendingPathComponent("Tests/Testbed/testbed.sh").path

    public let name: String
    /// The address plan as `testbed.sh env` prints it (`HV4`, `NS_HV`, `MGMT_HV6`, ...).
    public let plan: [String: String]
    private let alive = Mutex(true)

    /// Whether hv sits behind the router `gw` (`testbed.sh up --routed`).
    public let routed: Bool

    /// Builds a fresh testbed with a unique `mfwt-tb-` name; `routed`: hv on a production
    /// segment of its own behind the router namespace `gw` (gateway mode's routed setup).
    public init(routed: Bool = false) throws {
        self.routed = routed
        // Owned by this process: if it is killed before `destroy`, the next `up` removes the testbed.
        let owner = String(ProcessInfo.processInfo.processIdentifier)
        name = try runChecked(["bash", Self.script, "up", "--owner", owner] + (routed ? ["--routed"] : [])).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            plan = try Self.parse(env: runChecked(["bash", Self.script, "env", name]).stdout)
        } catch {
            _ = try? run(["bash", Self.script, "down", name])
            throw error
        }
    }

    private static func parse(env: String) -> [String: String] {
        var plan: [String: String] = [:]
        for line in env.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            plan[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return plan
    }

    /// The namespace name of `node`, for `--netns` and `ip netns exec`.
    public func namespace(_ node: Node) -> String { plan["NS_\(node.rawValue.uppercased())"]! }

    /// The address of `node` on its link: the segment for peers and the hypervisor's `mig0`,
    /// the management link for `mgmt`.
    public func address(_ node: Node, _ family: Family) -> String {
        let key = node == .mgmt ? "MGMT_PEER" : node.rawValue.uppercased()
        return plan[key + family.rawValue]!
    }

    /// The hypervisor's address on its management NIC `mgmt0`.
    public func managementAddress(_ family: Family) -> String { plan["MGMT_HV" + family.rawValue]! }

    /// Starts TCP listeners (IPv4 and IPv6) on `ports` inside `node`; returns once they are bound.
    public func listen(on node: Node, ports: [UInt16]) throws {
        try runChecked(["bash", Self.script, "listen", name, node.rawValue] + ports.map(String.init))
    }

    /// Runs `arguments` inside `node`, returning whatever happened.
    @discardableResult
    public func exec(_ node: Node, _ arguments: [String], input: String? = nil) throws -> CommandResult {
        try run(["ip", "netns", "exec", namespace(node)] + arguments, input: input)
    }

    /// A policy for this testbed's address plan (`testbed.sh policy`).
    /// `gateway`: a gateway-mode policy protecting hv (`routed` or `bridge`).
    public static func policy(profile: String, performance: String? = nil, dedicated: Bool, egress: Bool,
                              gateway: String? = nil) throws -> String {
        var arguments = ["bash", script, "policy", profile]
        if let gateway { arguments += ["--gateway", gateway] }
        if !dedicated { arguments.append("--shared") }
        if egress { arguments.append("--egress") }
        if let performance { arguments += ["--performance", performance] }
        return try runChecked(arguments).stdout
    }

    /// Writes `policy` into `scratch` (as `name`) and runs `migfw apply` on it in `node`'s
    /// namespace, with the lock and state files in `scratch` too (away from other runs').
    public func apply(_ policy: String, on node: Node, scratch: URL, name: String = "policy.yaml",
                      extra: [String] = []) throws -> CommandResult {
        let file = scratch.appendingPathComponent(name)
        try policy.write(to: file, atomically: true, encoding: .utf8)
        return try migfw(["apply", "-c", file.path, "--netns", namespace(node),
                          "--state-dir", scratch.appendingPathComponent("state").path,
                          "--lock-file", scratch.appendingPathComponent("lock").path] + extra)
    }

    /// Starts a forwarder in `node` on `port` toward `target` (`ADDR,PORT`), as `ssh -L`
    /// would be: each client is answered "relayed" or "failed" (``relayed(from:via:)``).
    public func relay(on node: Node, port: UInt16, to target: String) throws {
        try runChecked(["bash", Self.script, "relay", name, node.rawValue, String(port), target])
    }

    /// What the relay at `relay` (`ADDR,PORT`) answers a client in `node`: "relayed",
    /// "failed" (it could not reach its target) or "timeout".
    public func relayed(from node: Node, via relay: String) throws -> String {
        let line = try runChecked(["bash", Self.script, "relayed", name, node.rawValue, relay]).stdout
        return String(line.split(separator: " ").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `node`'s IPv6 link-local address on `device`, once duplicate address detection is done.
    public func linkLocalAddress(_ node: Node, device: String) throws -> String {
        try runChecked(["bash", Self.script, "linklocal", name, node.rawValue, device]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Deletes every namespace of the testbed and the processes in them (idempotent).
    public func destroy() {
        let wasAlive = alive.withLock { alive in
            defer { alive = false }
            return alive
        }
        guard wasAlive else { return }
        _ = try? run(["bash", Self.script, "down", name])
        try? FileManager.default.removeItem(at: scratchURL)
    }

    /// A directory of this testbed's own for policy files, state and locks (created here,
    /// removed by ``destroy()``).
    public func scratchDirectory() throws -> URL {
        try FileManager.default.createDirectory(at: scratchURL, withIntermediateDirectories: true)
        return scratchURL
    }

    private var scratchURL: URL { FileManager.default.temporaryDirectory.appendingPathComponent(name) }

    deinit { destroy() }
}

/// Runs `body` with a fresh testbed that is deleted afterwards, also when `body` throws.
public func withTestbed<T>(_ body: (Testbed) throws -> T) throws -> T {
    let testbed = try Testbed()
    defer { testbed.destroy() }
    return try body(testbed)
}

/// Runs blocking `body` (processes, timeouts) on a thread of its own and awaits its result,
/// so waiting does not hold one of Swift's few cooperative threads and parallel tests overlap.
///
/// Keep `#expect` and `#require` out of `body`: they need the test's task context, which a
/// thread does not carry (an issue recorded there is attributed to no test). Return what
/// you need and check it after the `await`.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}
