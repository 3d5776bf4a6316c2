import Foundation
import Netlink
import Ruleset

/// A state in which the kernel can hold exactly what the policy says and still not protect
/// the host: `plan`, `reconcile` and `status` report these instead of "in sync".
public enum ProtectionAlert: Equatable, Sendable, CustomStringConvertible {
    /// An `apply --confirm` ended without being confirmed and without rolling back (killed
    /// while it waited, or its restore failed): the ruleset it loaded was never confirmed.
    case unconfirmedApply(pid: Int32, pendingPath: String)
    /// The rules match interface `name`, which does not exist: they filter nothing.
    case interfaceMissing(name: String, namespace: String?)
    /// The rules match interface `name`, which is a port of `master` (a bridge, a bond, a
    /// VRF): its IP traffic reaches the firewall under the master's name, so they filter
    /// nothing on it.
    case interfaceEnslaved(name: String, master: LinkMaster)

    public var description: String {
        switch self {
        case .unconfirmedApply(let pid, let path):
            "an `apply --confirm` (process \(pid)) ended without confirmation and without rolling back "
                + "(killed?): the loaded ruleset was never confirmed. Check it (`migfw status`), then apply "
                + "deliberately or run `migfw confirm` to clear \(path)"
        case .interfaceMissing(let name, let namespace):
            "interface \"\(name)\" does not exist in \(namespace.map { "network namespace \($0)" } ?? "this network namespace"): "
                + "the rules match it by name and filter nothing until it appears (renamed NIC?)"
        case .interfaceEnslaved(let name, let master):
            "interface \"\(name)\" is a port of \(master.kind ?? "device") \"\(master.name)\": its IP traffic reaches the "
                + "firewall as \(master.name)'s, so the rules that match \(name) filter nothing on it. Name "
                + "\(master.name) in the policy's interface"
        }
    }

    /// A short machine-readable kind, for JSON and metrics.
    public var kind: String {
        switch self {
        case .unconfirmedApply: "unconfirmed_apply"
        case .interfaceMissing: "interface_missing"
        case .interfaceEnslaved: "interface_enslaved"
        }
    }

    /// Every ``kind``, for metrics that list them all.
    public static let kinds = ["interface_enslaved", "interface_missing", "unconfirmed_apply"]
}

/// Looks for ``ProtectionAlert``s.
public enum ProtectionAlerts {
    /// The alerts for `namespace` (nil: the current one): a pending confirmation whose apply is
    /// gone, and, when migfw's table is loaded (`tableLoaded`), every name in `interfaces` that
    /// does not exist there or, for a table of IP traffic (`family` inet, not a bridge's),
    /// is a port of another device.
    public static func check(interfaces: [String], tableLoaded: Bool, family: TableFamily = .inet, forwarding: Bool = false,
                             stateDirectory: String, namespace: String?) throws -> [ProtectionAlert] {
        var alerts: [ProtectionAlert] = []
        let confirmation = Confirmation(stateDirectory: stateDirectory, namespace: namespace)
        if let pid = confirmation.abandonedApply() {
            alerts.append(.unconfirmedApply(pid: pid, pendingPath: confirmation.pendingPath))
        }
        if tableLoaded {
            for name in interfaces {
                if try !Preflight.interfaceExists(name, namespace: namespace) {
                    alerts.append(.interfaceMissing(name: name, namespace: namespace))
                } else if family != .bridge,
                          let master = try Preflight.enslavingMaster(name, namespace: namespace, forwarding: forwarding) {
                    alerts.append(.interfaceEnslaved(name: name, master: master))
                }
            }
        }
        return alerts
    }
}
