import Foundation
import Netlink

/// apply's checks of the host before anything is sent: the migration NIC exists (or may
/// come later), and locking it down will not cut the operator off.
public enum Preflight {
    /// Whether the policy's interface is missing, when `allowMissing` lets that pass (the
    /// boot unit: a VLAN, bond or bridge NIC may come later; the rules match it by name).
    /// Throws ``EngineError/interfaceMissing(name:place:)`` when it is missing and not
    /// allowed, ``EngineError/interfaceEnslaved(name:master:kind:)`` when the rules would
    /// match IP traffic (`ipTraffic`: not a bridged gateway's bridge) on a port of a bridge,
    /// bond or VRF, which never carries it under its own name (a gateway's VRF member excepted:
    /// see ``enslavingMaster(_:namespace:forwarding:)``), and ``LockoutGuard/Risk`` when,
    /// in dedicated mode, the NIC carries the default route or this SSH session (unless `force`).
    public static func checkInterface(_ interface: String, dedicated: Bool, namespace: String?,
                                      allowMissing: Bool, force: Bool, ipTraffic: Bool = true, forwarding: Bool = false,
                                      environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Bool {
        if try !interfaceExists(interface, namespace: namespace) {
            guard allowMissing else { throw EngineError.interfaceMissing(name: interface, place: place(namespace)) }
            // A NIC that does not exist carries neither the default route nor this session.
            return true
        }
        if ipTraffic, let master = try enslavingMaster(interface, namespace: namespace, forwarding: forwarding) {
            throw EngineError.interfaceEnslaved(name: interface, master: master.name, kind: master.kind ?? "device")
        }
        if !force {
            try LockoutGuard.check(interface: interface, dedicated: dedicated, namespace: namespace, environment: environment)
        }
        return false
    }

    /// Whether network interface `name` exists in `namespace` (nil: the current one).
    public static func interfaceExists(_ name: String, namespace: String?) throws -> Bool {
        try netlink { try NetworkNamespace.run(in: namespace) { NetworkNamespace.interfaceIndex(name) != nil } }
    }

    /// The master of interface `name` in `namespace` under which its IP traffic reaches the
    /// firewall, nil when it has none (or there is no such NIC). A gateway (`forwarding`) sees a VRF member under its own name in the
    /// forward hook (the route resolves to the member), so a VRF is no master there.
    public static func enslavingMaster(_ name: String, namespace: String?, forwarding: Bool) throws -> LinkMaster? {
        guard let master = try netlink({ try NetworkNamespace.run(in: namespace) { try LinkMaster.of(name) } })
        else { return nil }
        return forwarding && master.kind == "vrf" ? nil : master
    }

    /// Where a run applies, for messages.
    public static func place(_ namespace: String?) -> String {
        namespace.map { "network namespace \($0)" } ?? "this network namespace"
    }
}
