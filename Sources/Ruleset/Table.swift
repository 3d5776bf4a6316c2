/// The nftables objects migfw owns, as plain values.
///
/// The compiler builds a `Table` from a policy; the netlink layer encodes one into a batch
/// and decodes what the kernel holds back into one; the planner compares two. Nothing in here
/// knows about the C libraries.
public struct Table: Hashable, Sendable {
    /// migfw's table name; it never touches any other.
    public static let migfwName = "migfw"

    public var family: TableFamily
    public var name: String
    public var sets: [NamedSet]
    public var chains: [Chain]
    /// Opaque table userdata (migfw keeps its digest of the applied ruleset here).
    /// Not part of the ruleset's meaning: compare with ``sameContent(as:)``.
    public var userdata: [UInt8]?
    /// The table's `NFT_TABLE_F_*` flags. migfw always wants none: a dormant table keeps its
    /// chains but unhooks them, which turns the firewall off.
    public var flags: TableFlags

    public init(family: TableFamily = .inet, name: String = Table.migfwName,
                sets: [NamedSet] = [], chains: [Chain] = [], userdata: [UInt8]? = nil, flags: TableFlags = []) {
        self.family = family
        self.name = name
        self.sets = sets
        self.chains = chains
        self.userdata = userdata
        self.flags = flags
    }

    /// Equal except for userdata and the order of sets and chains (``inNameOrder``).
    public func sameContent(as other: Table) -> Bool {
        var a = inNameOrder, b = other.inNameOrder
        a.userdata = nil
        b.userdata = nil
        return a == b
    }

    /// This table with its sets and chains in name order. The kernel lists them in creation
    /// order, which means nothing (a chain deleted and re-created is listed last); the order
    /// of the rules within a chain does mean something, and is kept. Compare tables from
    /// different sources in this form.
    public var inNameOrder: Table {
        var copy = self
        copy.sets.sort { $0.name < $1.name }
        copy.chains.sort { $0.name < $1.name }
        return copy
    }

    /// The set named `name`, if any.
    public func set(named name: String) -> NamedSet? { sets.first { $0.name == name } }
    /// The chain named `name`, if any.
    public func chain(named name: String) -> Chain? { chains.first { $0.name == name } }
}

/// nftables address families (`NFPROTO_*`).
public enum TableFamily: String, Hashable, Sendable, CaseIterable {
    case inet, ip, ip6, arp, bridge, netdev
}

/// `NFT_TABLE_F_*` table flags.
public struct TableFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// `NFT_TABLE_F_DORMANT`: the base chains are unregistered from their hooks.
    public static let dormant = TableFlags(rawValue: 0x1)
    /// `NFT_TABLE_F_OWNER`: the table belongs to one netlink socket.
    public static let owner = TableFlags(rawValue: 0x2)
    /// `NFT_TABLE_F_PERSIST`: an owned table outlives its owner.
    public static let persist = TableFlags(rawValue: 0x4)

    /// nft's names for the flags set, in nft's order (unknown bits as hex).
    public var names: [String] {
        var names: [String] = []
        if contains(.dormant) { names.append("dormant") }
        if contains(.owner) { names.append("owner") }
        if contains(.persist) { names.append("persist") }
        let rest = rawValue & ~(TableFlags.dormant.rawValue | TableFlags.owner.rawValue | TableFlags.persist.rawValue)
        if rest != 0 { names.append("0x" + String(rest, radix: 16)) }
        return names
    }
}
