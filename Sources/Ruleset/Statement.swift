/// A rule in nft's own terms: what `nft` prints and parses, one level above the kernel's
/// expressions. The compiler writes rules as statements and lowers them with
/// ``Statement/lowered(_:)``; the renderers read rules back into statements with
/// ``RuleDecoder``. Lowering is exactly what `nft` 1.0.6 generates for the same text in an
/// `inet` table, dependencies included, so the text, the JSON and the netlink encoding of one
/// `Table` all load into the same kernel rule.
public enum Statement: Hashable, Sendable {
    /// `FIELD OP VALUE`, with the protocol dependencies nft adds implicitly.
    case match(Match)
    /// `counter`
    case counter
    /// `limit rate [over] RATE/UNIT [burst BURST packets]`
    case limit(rate: UInt64, unitSeconds: UInt64, burst: UInt32, over: Bool)
    /// `log [prefix "..."] [level ...]`
    case log(prefix: String?, level: LogLevel?)
    /// `accept`, `drop`, `return`, `jump NAME` ...
    case verdict(Verdict)
    /// `update @SET { FIELD }`: records the packet's `key` in the dynamic set `set`.
    case update(set: String, key: MatchField)

    /// nft's default limit burst (`limit rate 10/second` means burst 5).
    public static let defaultBurst: UInt32 = 5

    /// A `limit rate N/UNIT` statement with nft's default burst.
    public static func limit(_ rate: RateSpec) -> Statement {
        .limit(rate: rate.count, unitSeconds: rate.unitSeconds, burst: defaultBurst, over: false)
    }
}

/// A packet rate: `count` per `unitSeconds`.
public struct RateSpec: Hashable, Sendable {
    public var count: UInt64
    public var unitSeconds: UInt64
    public init(count: UInt64, unitSeconds: UInt64) {
        self.count = count
        self.unitSeconds = unitSeconds
    }
}

/// `FIELD OP VALUE`.
public struct Match: Hashable, Sendable {
    public var field: MatchField
    /// Only equality and its negation: everything migfw matches is a value, a range, a set
    /// or a flag list.
    public var negated: Bool
    public var value: MatchValue

    public init(_ field: MatchField, _ value: MatchValue, negated: Bool = false) {
        self.field = field
        self.value = value
        self.negated = negated
    }
}

/// What a rule can look at, as nft names it.
public enum MatchField: Hashable, Sendable, CaseIterable {
    case iifname, oifname
    /// `meta protocol`: the EtherType as the stack sees it, after taking off one 802.1Q/802.1ad
    /// tag (so it is the tag's type only for a frame with a second tag inside).
    case metaProtocol
    case ctState
    case ipSaddr, ipDaddr, ip6Saddr, ip6Daddr
    case tcpSport, tcpDport, udpSport, udpDport
    case icmpType, icmpv6Type
}

/// The right-hand side of a match.
public enum MatchValue: Hashable, Sendable {
    /// An interface name (compared as a 16-byte NUL-padded string).
    case interface(String)
    /// `ct state` flags (`CtState` bits), matched as "any of these".
    case ctState(CtState)
    /// One value of the field's width, network byte order.
    case value([UInt8])
    /// An inclusive range of values of the field's width, network byte order.
    case range(from: [UInt8], to: [UInt8])
    /// `@NAME`: membership in a named set.
    case set(String)
}

/// Conntrack state bits (`NF_CT_STATE_*`), as `ct state` compares them.
public struct CtState: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let invalid = CtState(rawValue: 1)
    public static let established = CtState(rawValue: 2)
    public static let related = CtState(rawValue: 4)
    public static let new = CtState(rawValue: 8)
    public static let untracked = CtState(rawValue: 64)

    /// The names nft uses, in bit order.
    public static let names: [(CtState, String)] = [
        (.invalid, "invalid"), (.established, "established"), (.related, "related"),
        (.new, "new"), (.untracked, "untracked"),
    ]
}
