import Ruleset

/// A rule's counter as the kernel reports it (the model's `.counter` carries no values).
public struct RuleCounter: Hashable, Sendable {
    public var packets: UInt64
    public var bytes: UInt64
    public init(packets: UInt64, bytes: UInt64) {
        self.packets = packets
        self.bytes = bytes
    }
}

/// What the kernel holds for one table, decoded into the model plus runtime facts the model
/// leaves out: rule handles, counter values, the generation id it was read at.
public struct TableSnapshot: Hashable, Sendable {
    /// The table as model values; compare with a compiled one via `sameContent(as:)`.
    public var table: Table
    /// Kernel rule handles, per chain name, in rule order.
    public var ruleHandles: [String: [UInt64]]
    /// The first counter of each rule (nil: the rule has none), per chain name, in rule order.
    public var counters: [String: [RuleCounter?]]
    /// Element counts as the kernel reported them (start and end elements both count),
    /// per set name.
    public var kernelElementCounts: [String: Int]
    /// The ruleset generation id read just before the table.
    public var generation: UInt32
}

extension TableSnapshot {
    /// A snapshot made outside a dump (an in-memory kernel in tests).
    public init(table: Table, generation: UInt32, ruleHandles: [String: [UInt64]] = [:],
                counters: [String: [RuleCounter?]] = [:], kernelElementCounts: [String: Int] = [:]) {
        self.init(table: table, ruleHandles: ruleHandles, counters: counters,
                  kernelElementCounts: kernelElementCounts, generation: generation)
    }
}
