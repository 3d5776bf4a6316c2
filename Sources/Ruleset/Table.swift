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

    public init(family: TableFamily = .inet, name: String = Table.migfwName,
                sets: [NamedSet] = [], chains: [Chain] = [], userdata: [UInt8]? = nil) {
        self.family = family
        self.name = name
        self.sets = sets
        self.chains = chains
        self.userdata = userdata
    }

    /// Equal except for userdata.
    public func sameContent(as other: Table) -> Bool {
        var a = self, b = other
        a.userdata = nil
        b.userdata = nil
        return a == b
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
