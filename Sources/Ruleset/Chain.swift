/// A chain in migfw's table with its rules in order.
public struct Chain: Hashable, Sendable {
    public var name: String
    /// Present for base chains (attached to a hook); nil for regular chains.
    public var base: BaseChain?
    public var rules: [Rule]

    public init(name: String, base: BaseChain? = nil, rules: [Rule] = []) {
        self.name = name
        self.base = base
        self.rules = rules
    }
}

/// The hook attachment of a base chain.
public struct BaseChain: Hashable, Sendable {
    public var type: ChainType
    public var hook: Hook
    public var priority: Int32
    public var policy: Verdict

    public init(type: ChainType = .filter, hook: Hook, priority: Int32 = 0, policy: Verdict = .accept) {
        self.type = type
        self.hook = hook
        self.priority = priority
        self.policy = policy
    }

    /// `priority filter` in a `bridge` table (NF_BR_PRI_FILTER_BRIDGED).
    public static let bridgeFilterPriority: Int32 = -200

    public enum ChainType: String, Hashable, Sendable { case filter, route, nat }
    /// Netfilter hooks (`NF_INET_*`).
    public enum Hook: String, Hashable, Sendable { case prerouting, input, forward, output, postrouting }
}

/// One rule: an ordered list of kernel expressions, plus an optional comment kept in the
/// rule's userdata (nft shows it as `comment "..."`).
public struct Rule: Hashable, Sendable {
    public var expressions: [Expression]
    public var comment: String?

    public init(_ expressions: [Expression], comment: String? = nil) {
        self.expressions = expressions
        self.comment = comment
    }
}
