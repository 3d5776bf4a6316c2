import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Netlink
import Plan
import Ruleset

/// What the kernel holds, read through the applier's session (or taken from the state record).
extension PlannedApplier {
    /// Whether the kernel holds migfw's table.
    public func tableExists() throws -> Bool { try netlink { try session.tableExists(family: family) } }

    /// The kernel's ruleset generation id.
    public func generation() throws -> UInt32 { try netlink { try session.generation() } }

    /// The state file, if it belongs to this boot and namespace and nothing committed since.
    public func currentState(generation: UInt32) -> ApplyState? {
        guard let state = ApplyState.load(path: statePath), state.belongs(toNamespaceID: namespaceID),
              state.generation == generation
        else { return nil }
        return state
    }

    /// The sets of migfw's own last commit in this boot and namespace, whatever happened
    /// since (nil: no record).
    public func lastAppliedSets() -> [NamedSet]? {
        guard let state = ApplyState.load(path: statePath), state.belongs(toNamespaceID: namespaceID)
        else { return nil }
        return state.sets
    }

    /// The plan from `snapshot` to `desired`, with the addresses migfw itself applied last
    /// not flagged as a possible intrusion (``RulesetPlan/withdrawing(lastApplied:)``).
    public func plan(_ desired: Table, from snapshot: Snapshot) -> RulesetPlan {
        var plan = Planner.plan(desired: desired, actual: snapshot.table)
        plan.retiredTables = snapshot.otherTables
        if desired.sets.contains(where: { $0.name == NamedSet.protected4 || $0.name == NamedSet.protected6 }) {
            plan = plan.flaggingUnprotected(actual: snapshot.table,
                                            lastApplied: snapshot.fromState ? snapshot.table?.sets : lastAppliedSets())
        }
        guard !plan.unexpectedAddresses.isEmpty else { return plan }
        // A snapshot from the state file is migfw's last commit itself.
        let applied = snapshot.fromState ? snapshot.table?.sets : lastAppliedSets()
        return applied.map { plan.withdrawing(lastApplied: $0) } ?? plan
    }

    /// What the kernel holds. Uses the state file's elements when the generation id proves
    /// them current (`allowState`), else dumps everything; a dump that raced a commit (the
    /// generation id moved while reading) is read again.
    public func snapshot(allowState: Bool = true) throws -> Snapshot {
        var snapshot = try tableSnapshot(allowState: allowState)
        for other in Self.families where other != family {
            guard let table = try netlink({ try session.readTable(family: other) })?.table else { continue }
            snapshot.otherTables.append(other)
            snapshot.retired.append(table)
        }
        return snapshot
    }

    /// The families migfw's table can have (host mode and a routed gateway: `inet`; a
    /// bridged gateway: `bridge`).
    public static let families: [TableFamily] = [.inet, .bridge]

    private func tableSnapshot(allowState: Bool) throws -> Snapshot {
        return try netlink {
            if allowState, let light = try session.readTable(family: family, elements: false),
               let state = currentState(generation: light.generation),
               let table = Self.filling(light.table, from: state) {
                return Snapshot(table: table, generation: light.generation, fromState: true)
            }
            var last: Snapshot?
            var interrupted: NetlinkError?
            for _ in 0..<maxAttempts {
                do {
                    let before = try session.generation()
                    let full = try session.readTable(family: family)
                    let snapshot = Snapshot(table: full?.table, generation: full?.generation ?? before, fromState: false)
                    if try session.generation() == snapshot.generation { return snapshot }
                    last = snapshot
                } catch let error as NetlinkError {
                    // A dump the kernel flags as interrupted by a commit (EINTR): read again.
                    guard case .kernel(_, let code, _) = error, code == EINTR else { throw error }
                    interrupted = error
                }
            }
            // Still moving: plan on the last complete read (the batch's generation id rejects
            // it if stale), or give up if no read completed.
            if let last { return last }
            throw interrupted!
        }
    }

    /// `light` (read without elements) with the state's elements, if its sets are the same.
    static func filling(_ light: Table, from state: ApplyState) -> Table? {
        var table = light
        for index in table.sets.indices {
            let header = table.sets[index]
            guard let cached = state.sets.first(where: { $0.name == header.name }),
                  cached.flags == header.flags, cached.keyType == header.keyType
            else { return nil }
            table.sets[index].elements = cached.elements
        }
        return table
    }

}
