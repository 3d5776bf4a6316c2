import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Netlink
import Plan
import Ruleset

/// What the kernel holds, read through the applier's session (or taken from the state record).
extension Applier {
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
    /// generation id moved while reading, or the kernel flagged it interrupted) is read
    /// again. `elements: false` reads no elements of this family's table (a plan that
    /// replaces it needs none); migfw's tables of other families are always read whole, so
    /// a rollback can put them back. A read the kernel flags interrupted outside the dump
    /// loop is ``NetlinkError/generationChanged``: the apply around it plans again.
    public func snapshot(allowState: Bool = true, elements: Bool = true) throws -> Snapshot {
        var snapshot = try tableSnapshot(allowState: allowState, elements: elements)
        for other in Self.families where other != family {
            guard let table = try netlink({ try Self.uninterrupted { try session.readTable(family: other) } })?.table else { continue }
            snapshot.otherTables.append(other)
            snapshot.retired.append(table)
        }
        return snapshot
    }

    /// The families migfw's table can have (host mode and a routed gateway: `inet`; a
    /// bridged gateway: `bridge`).
    public static let families: [TableFamily] = [.inet, .bridge]

    private func tableSnapshot(allowState: Bool, elements: Bool) throws -> Snapshot {
        if allowState || !elements,
           let light = try netlink({ try Self.uninterrupted { try session.readTable(family: family, elements: false) } }) {
            if !elements { return Snapshot(table: light.table, generation: light.generation, fromState: false) }
            if let state = currentState(generation: light.generation), let table = Self.filling(light.table, from: state) {
                return Snapshot(table: table, generation: light.generation, fromState: true)
            }
        }
        var last: Snapshot?
        do {
            return try withGenerationRetry(attempts: maxAttempts) { _ in
                let before = try session.generation()
                let full = try Self.uninterrupted { try session.readTable(family: family, elements: elements) }
                let snapshot = Snapshot(table: full?.table, generation: full?.generation ?? before, fromState: false)
                guard try session.generation() == snapshot.generation else {
                    last = snapshot
                    throw NetlinkError.generationChanged
                }
                return snapshot
            }
        } catch EngineError.keptChanging where last != nil {
            // Still moving: plan on the last complete read (the batch's generation id
            // rejects it if stale).
            return last!
        }
    }

    /// `read`, with a dump the kernel flagged as interrupted by a commit (EINTR) reported as
    /// ``NetlinkError/generationChanged``: read (and plan) again.
    static func uninterrupted<T>(_ read: () throws -> T) throws -> T {
        do { return try read() } catch NetlinkError.kernel(_, let code, _) where code == EINTR {
            throw NetlinkError.generationChanged
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
