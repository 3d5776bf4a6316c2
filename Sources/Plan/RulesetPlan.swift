import Prefix
import Ruleset

/// What must change in the kernel so that migfw's table equals the desired one.
///
/// Built by ``Planner/plan(desired:actual:)``. The changes are listed per object; the engine
/// turns them into one batch in this order, which the kernel's references require:
/// flush the rules of every changed, replaced or removed chain; delete removed and replaced
/// chains; delete removed and replaced sets; add new and replaced sets with their elements;
/// element deltas (deletions before additions); add new and replaced chains; update chain
/// policies; add the rules of changed and new chains.
public struct RulesetPlan: Hashable, Sendable {
    /// The desired table (the target of the plan).
    public var desired: Table
    /// The kernel holds no migfw table: everything is created.
    public var tableMissing: Bool
    /// Set changes, in the desired table's set order (removals last).
    public var sets: [SetChange]
    /// Chain changes, in the desired table's chain order (removals last).
    public var chains: [ChainChange]
    /// Per address set: addresses the kernel's set matches that the desired set does not.
    /// For migfw's trusted sets these are sources the kernel trusts without the policy
    /// saying so: a possible intrusion.
    public var unexpectedAddresses: [UnexpectedAddresses]
    /// The existing table's flags differ from the desired ones (a dormant table: every chain
    /// is there but none is hooked). Carried out first, by a NEWTABLE with the desired flags.
    public var tableFlags: TableFlagsChange?
    /// migfw's tables of other families to delete: the policy's mode moved migfw's rules
    /// (host mode and a routed gateway use `table inet migfw`, a bridged gateway
    /// `table bridge migfw`), and the old table would otherwise go on filtering.
    public var retiredTables: [TableFamily] = []
    /// Per protected set of a gateway: addresses the policy protects that the kernel's set
    /// lost, leaving their migration ports open: a possible intrusion
    /// (``flaggingUnprotected(actual:lastApplied:)``).
    public var unprotectedAddresses: [UnexpectedAddresses] = []

    public init(desired: Table, tableMissing: Bool, sets: [SetChange], chains: [ChainChange],
                unexpectedAddresses: [UnexpectedAddresses], tableFlags: TableFlagsChange? = nil) {
        self.desired = desired
        self.tableMissing = tableMissing
        self.sets = sets
        self.chains = chains
        self.unexpectedAddresses = unexpectedAddresses
        self.tableFlags = tableFlags
    }

    /// Nothing to do: the kernel matches the desired table.
    public var isEmpty: Bool { !tableMissing && tableFlags == nil && sets.isEmpty && chains.isEmpty && retiredTables.isEmpty }

    /// Only element deltas: the table, its sets' definitions and every chain stay as they are.
    public var isElementsOnly: Bool {
        !tableMissing && tableFlags == nil && chains.isEmpty && retiredTables.isEmpty
            && sets.allSatisfy { if case .elements = $0 { true } else { false } }
    }

    /// Counts for summary lines and metrics.
    public var summary: PlanSummary { PlanSummary(self) }
}

/// The table's flags change from `from` (what the kernel holds) to `to` (the desired ones).
public struct TableFlagsChange: Hashable, Sendable {
    public var from: TableFlags
    public var to: TableFlags
    public init(from: TableFlags, to: TableFlags) {
        self.from = from
        self.to = to
    }

    /// The change wakes a dormant table: its chains were unhooked, the firewall was off.
    public var reactivates: Bool { from.contains(.dormant) && !to.contains(.dormant) }
}

/// A change to one named set.
public enum SetChange: Hashable, Sendable {
    /// The set does not exist: create it with all its elements.
    case add(NamedSet)
    /// The set is not in the desired table: delete it.
    case remove(NamedSet)
    /// The key type or flags differ, or the kernel's set holds a catch-all element (which no
    /// element delta can name): delete and re-create with all the desired elements.
    case replace(old: NamedSet, new: NamedSet)
    /// Same definition, different contents: delete and add single elements.
    case elements(ElementDelta)

    /// The set's name.
    public var name: String {
        switch self {
        case .add(let set), .remove(let set): set.name
        case .replace(_, let new): new.name
        case .elements(let delta): delta.setName
        }
    }
}

/// The elements to delete from and add to one set, each list sorted and disjoint.
///
/// Elements are compared as whole kernel elements (intervals): an interval the kernel holds
/// that the desired set lacks is removed even when part of it stays trusted, because an
/// interval set element can only be deleted whole.
public struct ElementDelta: Hashable, Sendable {
    public var setName: String
    public var removed: SetElements
    public var added: SetElements

    public init(setName: String, removed: SetElements, added: SetElements) {
        self.setName = setName
        self.removed = removed
        self.added = added
    }
}

/// A change to one chain.
public enum ChainChange: Hashable, Sendable {
    /// The chain does not exist: create it with its rules.
    case add(Chain)
    /// The chain is not in the desired table: flush and delete it.
    case remove(Chain)
    /// Its hook, type or priority differ (or it changed between base and regular chain),
    /// which the kernel cannot change in place: delete and re-create.
    case replace(old: Chain, new: Chain, reason: String)
    /// Same hook: the rules are replaced as a unit (flush, then add); a policy change
    /// re-creates the chain with its rules in the same transaction (the netlink layer
    /// creates chains exclusively, so there is no in-place update).
    case update(ChainUpdate)

    /// The chain's name.
    public var name: String {
        switch self {
        case .add(let chain), .remove(let chain): chain.name
        case .replace(_, let new, _): new.name
        case .update(let update): update.name
        }
    }
}

/// An in-place change to a chain.
public struct ChainUpdate: Hashable, Sendable {
    public var name: String
    /// The base chain policy changes from `from` to `to`.
    public var policy: PolicyChange?
    /// The rules differ: flush the chain and add `new` (the kernel keeps no partial state).
    public var rules: RulesReplacement?

    public init(name: String, policy: PolicyChange? = nil, rules: RulesReplacement? = nil) {
        self.name = name
        self.policy = policy
        self.rules = rules
    }
}

/// A base chain policy change.
public struct PolicyChange: Hashable, Sendable {
    public var from: Verdict
    public var to: Verdict
    public init(from: Verdict, to: Verdict) {
        self.from = from
        self.to = to
    }
}

/// A chain's rules, replaced as a unit.
public struct RulesReplacement: Hashable, Sendable {
    public var old: [Rule]
    public var new: [Rule]
    /// Why, when the rules themselves are equal (a set they look up is re-created).
    public var reason: String?
    public init(old: [Rule], new: [Rule], reason: String? = nil) {
        self.old = old
        self.new = new
        self.reason = reason
    }
}

/// Addresses an address set in the kernel matches although the desired set does not.
public struct UnexpectedAddresses: Hashable, Sendable {
    public var setName: String
    /// Sorted, disjoint, non-adjacent.
    public var addresses: SetElements
    /// The kernel's set holds a catch-all element: it trusts every address, so `addresses`
    /// is the whole address space minus the desired set.
    public var catchAll: Bool
    public init(setName: String, addresses: SetElements, catchAll: Bool = false) {
        self.setName = setName
        self.addresses = addresses
        self.catchAll = catchAll
    }
}

/// Counts of a plan's changes.
public struct PlanSummary: Hashable, Sendable {
    public var tableCreated = false
    /// migfw tables of another family deleted (a mode change).
    public var tablesRetired = 0
    /// The table's flags change (a dormant table is re-activated).
    public var tableFlagsChanged = false
    public var setsAdded = 0, setsRemoved = 0, setsReplaced = 0
    public var elementsAdded = 0, elementsRemoved = 0
    public var chainsAdded = 0, chainsRemoved = 0, chainsReplaced = 0, chainsChanged = 0
    public var unexpectedAddressRanges = 0
    /// Protected address ranges the kernel lost (gateway mode).
    public var unprotectedAddressRanges = 0

    public init() {}

    public init(_ plan: RulesetPlan) {
        tableCreated = plan.tableMissing
        tablesRetired = plan.retiredTables.count
        tableFlagsChanged = plan.tableFlags != nil
        for change in plan.sets {
            switch change {
            case .add(let set):
                setsAdded += 1
                elementsAdded += set.elements.count
            case .remove(let set):
                setsRemoved += 1
                elementsRemoved += set.elements.count
            case .replace(let old, let new):
                setsReplaced += 1
                elementsRemoved += old.elements.count
                elementsAdded += new.elements.count
            case .elements(let delta):
                elementsAdded += delta.added.count
                elementsRemoved += delta.removed.count
            }
        }
        for change in plan.chains {
            switch change {
            case .add: chainsAdded += 1
            case .remove: chainsRemoved += 1
            case .replace: chainsReplaced += 1
            case .update: chainsChanged += 1
            }
        }
        unexpectedAddressRanges = plan.unexpectedAddresses.reduce(0) { $0 + $1.addresses.count }
        unprotectedAddressRanges = plan.unprotectedAddresses.reduce(0) { $0 + $1.addresses.count }
    }

    /// Individual changes, counting each element: what reconcile reports as drift.
    public var changeCount: Int {
        (tableCreated ? 1 : 0) + tablesRetired + (tableFlagsChanged ? 1 : 0) + setsAdded + setsRemoved + setsReplaced + elementsAdded + elementsRemoved
            + chainsAdded + chainsRemoved + chainsReplaced + chainsChanged
    }
}
