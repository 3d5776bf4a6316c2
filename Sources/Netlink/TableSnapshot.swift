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
    /// The elements of each dynamic set (``NamedSet/isDynamic``), which the model leaves out.
    public var dynamicElements: [String: [DynamicElement]] = [:]
}

/// One element of a dynamic set as the kernel reports it.
public struct DynamicElement: Hashable, Sendable {
    /// The key, network byte order.
    public var key: [UInt8]
    /// The element's counter, when the set gives its elements one.
    public var counter: RuleCounter?
    /// The element's timeout (the set's default when it was added without one).
    public var timeoutMilliseconds: UInt64?
    /// Time left before the element expires.
    public var expiresInMilliseconds: UInt64?

    public init(key: [UInt8], counter: RuleCounter?, timeoutMilliseconds: UInt64?, expiresInMilliseconds: UInt64?) {
        self.key = key
        self.counter = counter
        self.timeoutMilliseconds = timeoutMilliseconds
        self.expiresInMilliseconds = expiresInMilliseconds
    }

    /// How long ago the element was last refreshed: its timeout less the time it has left.
    public var lastSeenMillisecondsAgo: UInt64? {
        guard let timeout = timeoutMilliseconds, let left = expiresInMilliseconds else { return nil }
        return timeout >= left ? timeout - left : 0
    }
}

extension TableSnapshot {
    /// A snapshot made outside a dump (an in-memory kernel in tests).
    public init(table: Table, generation: UInt32, ruleHandles: [String: [UInt64]] = [:],
                counters: [String: [RuleCounter?]] = [:], kernelElementCounts: [String: Int] = [:],
                dynamicElements: [String: [DynamicElement]] = [:]) {
        self.init(table: table, ruleHandles: ruleHandles, counters: counters,
                  kernelElementCounts: kernelElementCounts, generation: generation, dynamicElements: dynamicElements)
    }
}
