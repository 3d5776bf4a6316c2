import Foundation
import Netlink
import Policy
import Prefix

/// Refuses, in dedicated mode, a migration NIC whose lockdown would cut the operator off:
/// one that carries the default route, or the local address of the current SSH session.
/// `--force` overrides it.
public struct LockoutGuard: Sendable {
    /// Why applying would likely lock the operator out.
    public struct Risk: Error, Hashable, Sendable, CustomStringConvertible {
        public var interface: String
        public var reason: String
        /// What would be locked down, when it is not `interface` in dedicated mode.
        public var scope: String? = nil
        public var description: String {
            "refusing to lock down \(scope ?? "\(interface) in dedicated mode"): \(reason); use --force if this is intended"
        }
    }

    /// `SSH_CONNECTION` as sshd sets it: `client-ip client-port server-ip server-port`
    /// (``SSHSession``: also found through `sudo`, in an ancestor's environment).
    public var sshConnection: String?
    public var defaultRouteInterfaces: Set<String>
    public var addresses: @Sendable (String) -> [AnyCIDR]

    /// The guard for the current process and network namespace.
    public init(environment: [String: String]) {
        self.init(sshConnection: SSHSession.connection(environment: environment),
                  defaultRouteInterfaces: HostNetwork.defaultRouteInterfaces(),
                  addresses: HostNetwork.addresses(of:))
    }

    public init(sshConnection: String?, defaultRouteInterfaces: Set<String>,
                addresses: @escaping @Sendable (String) -> [AnyCIDR]) {
        self.sshConnection = sshConnection
        self.defaultRouteInterfaces = defaultRouteInterfaces
        self.addresses = addresses
    }

    /// Checks `interface` in network namespace `namespace` (nil: the current one), with the
    /// current process's SSH session.
    public static func check(interface: String, dedicated: Bool, namespace: String?,
                             environment: [String: String]) throws {
        guard dedicated else { return }
        let guardrail = try NetworkNamespace.run(in: namespace) { LockoutGuard(environment: environment) }
        let addresses = try NetworkNamespace.run(in: namespace) { HostNetwork.addresses(of: interface) }
        try LockoutGuard(sshConnection: guardrail.sshConnection,
                         defaultRouteInterfaces: guardrail.defaultRouteInterfaces,
                         addresses: { _ in addresses })
            .check(interface: interface, dedicated: dedicated)
    }

    /// Throws a ``Risk`` when locking `interface` down (dedicated mode) looks like a lockout.
    public func check(interface: String, dedicated: Bool) throws(Risk) {
        guard dedicated else { return }
        if defaultRouteInterfaces.contains(interface) {
            throw Risk(interface: interface, reason: "it carries the default route")
        }
        let fields = sshConnection?.split(separator: " ") ?? []
        if fields.count >= 3, let server = Self.serverAddress(fields[2]),
           addresses(interface).contains(server) {
            throw Risk(interface: interface,
                       reason: "the current SSH session arrives on it (\(fields[2]))")
        }
    }

    /// Host mode closes the migration-only ports on every NIC but the migration NIC(s): refuses
    /// when the current SSH session arrives on another NIC at one of those ports (a custom
    /// profile that lists its SSH port as migration-only), since the next login would fail.
    public static func checkOtherInterfaces(_ policy: Policy, namespace: String?,
                                            environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard policy.mode == .host, policy.otherInterfacesPolicy == .drop else { return }
        let names = policy.interfaces.map(\.value)
        let addresses = try NetworkNamespace.run(in: namespace) { Dictionary(uniqueKeysWithValues: names.map { ($0, HostNetwork.addresses(of: $0)) }) }
        try LockoutGuard(sshConnection: SSHSession.connection(environment: environment), defaultRouteInterfaces: [],
                         addresses: { addresses[$0] ?? [] })
            .checkOtherInterfaces(migrationInterfaces: names,
                                  closed: policy.migrationOnlyPorts.filter { $0.transport == .tcp }.map(\.range))
    }

    /// Throws a ``Risk`` when the SSH session's server port is one of `closed` and its server
    /// address is on none of `migrationInterfaces`: that port is closed on the NIC it came in on.
    public func checkOtherInterfaces(migrationInterfaces: [String], closed: [PortRange]) throws(Risk) {
        let fields = sshConnection?.split(separator: " ") ?? []
        guard fields.count >= 4, let port = UInt16(fields[3]), let server = Self.serverAddress(fields[2]),
              let range = closed.first(where: { $0.contains(port) }) else { return }
        guard !migrationInterfaces.contains(where: { addresses($0).contains(server) }) else { return }
        let nics = migrationInterfaces.joined(separator: ", ")
        throw Risk(interface: nics,
                   reason: "the current SSH session arrives at \(fields[2]) port \(port), which is migration-only (\(range)) and would be closed there",
                   scope: "port \(port) on every NIC but \(nics)")
    }

    /// The server address of `SSH_CONNECTION` as the interface lists it: a link-local address
    /// comes with `%zone`, and a dual-stack sshd reports IPv4 peers as `::ffff:a.b.c.d`; both
    /// must still match, or the guard would silently pass.
    static func serverAddress(_ field: Substring) -> AnyCIDR? {
        let address = field.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false).first ?? field
        guard let parsed = try? PrefixParser.parse(String(address)) else { return nil }
        if let v4 = parsed.ipv4Mapped { return .v4(v4) }
        return parsed
    }
}
