import Ruleset

/// Which paths into the hypervisor(s) a loaded migfw table guards, read from its rules (not
/// from a policy), so `status` claims only what the kernel holds: the NICs migration is
/// accepted on and whether every other NIC has the migration-only ports closed (host mode),
/// or whether a gateway guards the interfaces toward the protected hosts or only the listed
/// addresses, and its own connections.
public struct GuardedPaths: Hashable, Sendable {
    /// Host mode: the NICs whose traffic the migration chain judges.
    public var migrationInterfaces: [String] = []
    /// Host mode: TCP ports dropped on every other NIC (empty: other NICs are open).
    public var closedElsewhere: [ClosedRange<UInt16>] = []
    /// Host mode: UDP ports dropped on every other NIC (a custom profile's UDP ports).
    public var closedElsewhereUDP: [ClosedRange<UInt16>] = []
    /// Host mode: the TCP migration ports filtered on the migration NICs only.
    public var filteredOnMigrationNICs: [ClosedRange<UInt16>] = []
    /// Gateway mode: the interfaces toward the protected hosts whose migration ports are
    /// guarded for every address.
    public var protectedSide: [String] = []
    /// Gateway mode: whether the gateway's own connections meet the rules (an output chain).
    public var ownConnections = false
    public var gateway = false
    /// Why nothing can be claimed about the paths (a rule before the closing drop that lets
    /// packets past it, a table that is not what migfw wrote, a migration NIC that is a
    /// bridge's port): said instead of the paths.
    public var doubt: String? = nil

    public init(_ table: Table) {
        gateway = table.chain(named: "forward")?.base?.hook == .forward
        if gateway {
            protectedSide = Self.names(in: table.chain(named: "forward")?.rules ?? [], key: .oifname, verdictDrop: true)
            ownConnections = table.chain(named: "output")?.base?.hook == .output
            return
        }
        guard let input = table.chain(named: "input"), input.base?.hook == .input else { return }
        var oldShape = false
        for rule in input.rules {
            let e = rule.expressions
            guard e.count >= 3, case .meta(.iifname, _) = e[0], case .cmp(let op, _, let data) = e[1] else { continue }
            let name = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
            // `iifname "mig0" goto migration_in`, or an old table's `iifname != "mig0" return`
            // (which filters the migration NIC only: every other NIC is open).
            if case .verdict(.goto) = e[2], op == .eq { migrationInterfaces.append(name) }
            if case .verdict(.return) = e[2], op == .neq { migrationInterfaces.append(name); oldShape = true }
        }
        // Only the drops of the migration-only sets close other NICs: the base chain of an old
        // table also holds the migration NIC's own drops of `tcp_ports`.
        let sets = RulesetCompiler.migrationOnlySets
        let closing = input.rules.filter { $0.expressions.contains(.verdict(.drop)) }.flatMap(Self.lookedUpSets)
        if !oldShape {
            if closing.contains(sets.tcp) { closedElsewhere = Self.ports(table, sets.tcp) }
            if closing.contains(sets.udp) { closedElsewhereUDP = Self.ports(table, sets.udp) }
        }
        if !closedElsewhere.isEmpty || !closedElsewhereUDP.isEmpty, let rule = Self.escape(before: [sets.tcp, sets.udp], in: input.rules) {
            doubt = "cannot tell whether the NICs that are not migration NICs are closed: the input chain's rule `\(NftText.render(rule: rule))` lets packets past the closing drop"
        }
        filteredOnMigrationNICs = RuleMatch.intersection(Self.ports(table, "tcp_ports"), RuleMatch.complement(closedElsewhere))
    }

    /// The first rule of a host table's input chain, before the drops of the migration-only
    /// sets `closing` (each set's own), that can end the chain for a packet of a NIC that is
    /// not a migration NIC: anything but the rules migfw writes there (the migration NICs'
    /// `goto migration_in`, loopback's `return`, `ct state established,related return`, and
    /// rules without a verdict). A rule migfw cannot read (a verdict map, a queue, a reject)
    /// counts as one. Nil when there is none.
    private static func escape(before closing: [String], in rules: [Rule]) -> Rule? {
        var pending = Set(closing.filter { set in rules.contains { isDrop($0, of: set) } })
        for rule in rules {
            guard !pending.isEmpty else { return nil }
            let dropped = closing.filter { isDrop(rule, of: $0) }
            if !dropped.isEmpty {
                pending.subtract(dropped)
                continue
            }
            let e = rule.expressions
            if e.contains(where: { if case .unknown = $0 { true } else { false } }) { return rule }
            let verdicts = e.compactMap { if case .verdict(let v) = $0 { v } else { nil } }
            guard let verdict = verdicts.first else { continue }
            if verdicts.count == 1, e.count == 3, case .meta(.iifname, _) = e[0], case .cmp(.eq, _, let data) = e[1] {
                if verdict == .goto("migration_in") { continue }
                if verdict == .return, data.prefix(while: { $0 != 0 }).elementsEqual("lo".utf8) { continue }
            }
            if e == establishedReturn.expressions { continue }
            return rule
        }
        return nil
    }

    /// `ct state established,related return`, as migfw writes it in the input chain.
    private static let establishedReturn = Rule(Statement.lowered(
        [.match(Match(.ctState, .ctState([.established, .related]))), .verdict(.return)]))

    /// Whether `rule` is a plain drop of set `name`'s ports.
    private static func isDrop(_ rule: Rule, of name: String) -> Bool {
        let verdicts = rule.expressions.compactMap { if case .verdict(let v) = $0 { v } else { nil } }
        return verdicts == [.drop] && lookedUpSets(rule).contains(name)
    }

    /// The kinds of path a policy can leave unfiltered by its own choice, as metric labels.
    public static let unguardedKinds = ["other_interfaces", "unlisted_addresses"]

    /// Which of ``unguardedKinds`` this table leaves open: migration ports on the NICs that
    /// are not migration NICs (host mode), the protected hosts' unlisted addresses (a gateway
    /// without a protected side).
    public var unguarded: [String] {
        if gateway { return protectedSide.isEmpty ? ["unlisted_addresses"] : [] }
        return !migrationInterfaces.isEmpty && closedElsewhere.isEmpty && closedElsewhereUDP.isEmpty
            ? ["other_interfaces"] : []
    }

    /// One line per path, for `migfw status`.
    public var lines: [String] {
        if let doubt { return ["paths: \(doubt)"] }
        if gateway {
            var lines: [String] = []
            if protectedSide.isEmpty {
                lines.append("paths: only the protected sets' addresses are guarded; the hosts' other addresses (link-local, SLAAC, privacy, an unlisted IP version) are NOT (no gateway.protected_side, or every migration port is marked shared)")
            } else {
                lines.append("paths: migration-only ports toward \(protectedSide.joined(separator: ", ")) pass from trusted sources only, whatever the destination address; the other migration ports on the protected addresses only")
            }
            lines.append(ownConnections ? "paths: this gateway's own connections to the protected hosts' migration-only ports meet the same rules"
                                        : "paths: this gateway's own connections to the protected hosts are NOT filtered (a table written before gateways filtered them: run migfw apply)")
            return lines
        }
        guard !migrationInterfaces.isEmpty else { return [] }
        let nics = migrationInterfaces.joined(separator: ", ")
        guard !closedElsewhere.isEmpty || !closedElsewhereUDP.isEmpty else {
            return ["paths: migration ports are filtered on \(nics) only; every other NIC passes them unfiltered (other_interfaces: open, every migration port marked shared, or a table written before migfw closed other NICs: run migfw apply)"]
        }
        let closed = [("TCP", closedElsewhere), ("UDP", closedElsewhereUDP)].filter { !$0.1.isEmpty }
            .map { "\($0.0) \(Self.text($0.1))" }.joined(separator: " and ")
        var line = "paths: migration ports are filtered on \(nics); every other NIC (loopback excepted) drops new connections to \(closed)"
        if !filteredOnMigrationNICs.isEmpty { line += "; shared TCP \(Self.text(filteredOnMigrationNICs)) are filtered on \(nics) only" }
        return [line]
    }

    private static func names(in rules: [Rule], key: MetaKey, verdictDrop: Bool) -> [String] {
        var names: [String] = []
        for rule in rules where !verdictDrop || rule.expressions.contains(.verdict(.drop)) {
            let e = rule.expressions
            guard e.count >= 2, case .meta(let loaded, _) = e[0], loaded == key, case .cmp(.eq, _, let data) = e[1] else { continue }
            let name = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    private static func lookedUpSets(_ rule: Rule) -> [String] {
        rule.expressions.compactMap { if case .lookup(let set, _, false) = $0 { set } else { nil } }
    }

    private static func ports(_ table: Table, _ set: String) -> [ClosedRange<UInt16>] {
        guard let named = table.set(named: set), named.keyType == .inetService, case .ports(let ranges) = named.elements
        else { return [] }
        return ranges
    }

    private static func text(_ ranges: [ClosedRange<UInt16>]) -> String {
        ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ", ")
    }
}
