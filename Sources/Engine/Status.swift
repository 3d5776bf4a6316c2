import Foundation
import Netlink
import Plan
import Ruleset

/// What the kernel holds for migfw now.
public struct StatusReport: Sendable {
    public struct SetStatus: Sendable {
        public var name: String
        public var keyType: SetKeyType
        /// Intervals (or single elements) as migfw models them.
        public var intervals: Int
        /// Kernel elements (start and end elements both count).
        public var kernelElements: Int
        /// Filled by rules (the refused sets): its elements are runtime state.
        public var dynamic: Bool = false
        /// Its bound on elements, if any.
        public var size: UInt32?
    }
    public struct RuleStatus: Sendable {
        public var chain: String
        public var handle: UInt64
        public var text: String
        public var counter: RuleCounter?
    }
    /// The table's family: `inet`, or `bridge` for a bridged gateway.
    public var family: TableFamily = .inet
    public var sets: [SetStatus]
    public var chains: [String]
    public var rules: [RuleStatus]
    /// The digest migfw stored at apply, if the table carries one.
    public var storedDigest: UInt64?
    /// Whether the content still matches that digest (nil: no digest stored).
    public var digestMatches: Bool?
    public var generation: UInt32
    /// What keeps the host unprotected although the table is loaded (``ProtectionAlert``).
    public var alerts: [ProtectionAlert] = []
    /// Base chains of other tables that can drop what migfw accepts (read-only analysis).
    public var conflicts: [ForeignConflict] = []
    /// Sources refused on the migration ports, most packets first (``RefusedSources``).
    public var refused: [RefusedSource] = []
    /// Which paths the table guards, read from its rules (``GuardedPaths``).
    public var paths: GuardedPaths? = nil
}

/// Reads migfw's table.
public enum StatusReader {
    /// The families migfw's table can have: host mode and a routed gateway use `inet`, a
    /// bridged gateway `bridge`. Commands without a policy (status, delete) cover them all.
    public static let families: [TableFamily] = Applier.families

    /// The status of every migfw table loaded in `namespace` (``families`` order); empty
    /// when none is.
    public static func statuses(namespace: String?, stateDirectory: String = ApplyState.defaultDirectory) throws -> [StatusReport] {
        try families.compactMap { try status(namespace: namespace, stateDirectory: stateDirectory, family: $0) }
    }

    /// The status of `table FAMILY migfw` in `namespace`, nil when it is not loaded.
    /// `stateDirectory` is where apply keeps its state (see ``ApplyState``).
    public static func status(namespace: String?, stateDirectory: String = ApplyState.defaultDirectory,
                              family: TableFamily = .inet) throws -> StatusReport? {
        let session = try netlink { try NetlinkSession(namespace: namespace) }
        guard let snapshot = try netlink({ try session.readTable(family: family) }) else { return nil }
        let table = snapshot.table
        var rules: [StatusReport.RuleStatus] = []
        for chain in table.chains {
            let handles = snapshot.ruleHandles[chain.name] ?? []
            let counters = snapshot.counters[chain.name] ?? []
            for (index, rule) in chain.rules.enumerated() {
                rules.append(.init(chain: chain.name, handle: index < handles.count ? handles[index] : 0,
                                   text: NftText.render(rule: rule),
                                   counter: index < counters.count ? counters[index] : nil))
            }
        }
        var stored = RulesetDigest.stored(in: table.userdata)
        // The kernel keeps a table's userdata from its creation (updates are ignored), so
        // after a plan-based apply changed elements, the digest migfw recorded in its state
        // file is the one that describes what it applied.
        let content = RulesetDigest.digest(table)
        if stored != content, let state = ApplyState.load(path: ApplyState.path(directory: stateDirectory, namespace: namespace)),
           state.belongs(toNamespace: namespace), state.digest == content {
            stored = content
        }
        let alerts = try ProtectionAlerts.check(interfaces: table.interfaceNames, tableLoaded: true, family: family,
                                                forwarding: table.chain(named: "forward")?.base?.hook == .forward,
                                                stateDirectory: stateDirectory, namespace: namespace)
        let matches = stored.map { $0 == content }
        let paths = guardedPaths(table, digestMatches: matches, alerts: alerts)
        return StatusReport(
            family: family, sets: table.sets.map { .init(name: $0.name, keyType: $0.keyType, intervals: $0.elements.count,
                                         kernelElements: snapshot.kernelElementCounts[$0.name] ?? 0,
                                         dynamic: $0.isDynamic, size: $0.size) },
            chains: table.chains.map(\.name), rules: rules, storedDigest: stored,
            digestMatches: matches, generation: snapshot.generation,
            alerts: alerts,
            conflicts: try netlink {
                try foreignConflicts(table, session, namespace: namespace, migrationNICs: paths.migrationInterfaces)
            },
            refused: RefusedSources.list(snapshot), paths: paths)
    }

    /// What the table guards (``GuardedPaths``), unless its rules are not what migfw wrote or
    /// a migration NIC is a port of another device: then what status cannot claim.
    static func guardedPaths(_ table: Table, digestMatches: Bool?, alerts: [ProtectionAlert]) -> GuardedPaths {
        var paths = GuardedPaths(table)
        for case .interfaceEnslaved(let name, let master) in alerts where paths.migrationInterfaces.contains(name) {
            paths.doubt = "migration is NOT filtered on \(name): it is a port of \(master.kind ?? "device") \(master.name) (see the ALERT)"
            return paths
        }
        if digestMatches == false, paths.doubt == nil {
            paths.doubt = "cannot tell which paths the table guards: its rules are not what migfw wrote (digest mismatch; `migfw plan` shows the difference, `migfw reconcile` repairs it)"
        }
        return paths
    }

    /// What in the other tables can drop migfw's traffic (``ForeignConflicts``): the tables
    /// of every family a migration packet can cross (inet, ip, ip6, netdev, bridge), read
    /// (never written) with their sets, so port sets can be evaluated, and rule handles; for
    /// a bridged gateway, with what br_netfilter does in `namespace`.
    static func foreignConflicts(_ migfw: Table, _ session: NetlinkSession, namespace: String?,
                                 migrationNICs: [String]) throws -> [ForeignConflict] {
        var tables: [Table] = []
        var handles: [String: [UInt64]] = [:]
        for (family, name, flags) in try session.listTables()
        where [.inet, .ip, .ip6, .netdev, .bridge].contains(family) && !(family == migfw.family && name == Table.migfwName)
            && !flags.contains(.dormant) {
            guard let snapshot = try session.readTable(family: family, name: name) else { continue }
            tables.append(snapshot.table)
            for (chain, chainHandles) in snapshot.ruleHandles {
                handles[ForeignConflicts.handleKey(snapshot.table, chain)] = chainHandles
            }
        }
        let bridgeNetfilter = migfw.family == .bridge ? Self.bridgeNetfilter(namespace: namespace) : .unknown
        return ForeignConflicts.find(migfw: migfw, others: tables, handles: handles, bridgeNetfilter: bridgeNetfilter,
                                     hostBridges: hostBridges(migrationNICs, namespace: namespace))
    }

    /// Whether one of a host table's migration NICs is a bridge or sits on one (its
    /// bridge-family chains see migration frames); true when one cannot be asked, or for a
    /// gateway's table.
    static func hostBridges(_ nics: [String], namespace: String?) -> Bool {
        guard !nics.isEmpty else { return true }
        do {
            return try NetworkNamespace.run(in: namespace) {
                try nics.contains { try LinkKind.onBridge($0) }
            }
        } catch {
            return true
        }
    }

    /// br_netfilter's `bridge-nf-call-iptables` and `-ip6tables` in `namespace`, read with
    /// the calling thread inside it (the sysctls are per namespace). One that cannot be read
    /// counts as on, unless br_netfilter is not in the kernel at all.
    static func bridgeNetfilter(namespace: String?) -> BridgeNetfilter {
        let paths = ["iptables", "ip6tables"].map { "/proc/sys/net/bridge/bridge-nf-call-\($0)" }
        let values = (try? NetworkNamespace.run(in: namespace) { paths.map(readSysctl) }) ?? [nil, nil]
        func on(_ value: String?) -> Bool { value.map { $0 != "0" } ?? bridgeNetfilterPresent(paths[0]) }
        return BridgeNetfilter(ipv4: on(values[0]), ipv6: on(values[1]))
    }

    /// Whether br_netfilter is in the kernel: loaded as a module, or its sysctl is there in
    /// migfw's own namespace (built in; older kernels have it in the first namespace only).
    private static func bridgeNetfilterPresent(_ sysctl: String) -> Bool {
        FileManager.default.fileExists(atPath: "/sys/module/br_netfilter") || FileManager.default.fileExists(atPath: sysctl)
    }

    /// A sysctl file's value, trimmed; nil when it cannot be read.
    private static func readSysctl(_ path: String) -> String? {
        FileManager.default.contents(atPath: path)
            .flatMap { String(data: $0, encoding: .utf8) }?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
