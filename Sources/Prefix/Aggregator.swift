/// Collects included and excluded prefixes of both families and produces the exact set
/// (included minus excluded) as sorted, disjoint, non-adjacent intervals: the form an
/// nftables interval set must have, since the kernel neither merges nor fully rejects overlaps.
public struct PrefixAggregator: Sendable {
    private var included4: [AddressRange<IPv4Address>] = []
    private var excluded4: [AddressRange<IPv4Address>] = []
    private var included6: [AddressRange<IPv6Address>] = []
    private var excluded6: [AddressRange<IPv6Address>] = []

    public init() {}

    /// Adds `prefix` to the set.
    public mutating func include(_ prefix: AnyCIDR) {
        switch prefix {
        case .v4(let p): included4.append(p.range)
        case .v6(let p): included6.append(p.range)
        }
    }

    /// Removes `prefix` from the result, whatever was included.
    public mutating func exclude(_ prefix: AnyCIDR) {
        switch prefix {
        case .v4(let p): excluded4.append(p.range)
        case .v6(let p): excluded6.append(p.range)
        }
    }

    /// The exact result.
    public func aggregate() -> AggregatedPrefixes {
        AggregatedPrefixes(
            ipv4: Intervals.subtract(Intervals.union(included4), Intervals.union(excluded4)),
            ipv6: Intervals.subtract(Intervals.union(included6), Intervals.union(excluded6))
        )
    }
}

/// The compiled trusted set: minimal intervals per family, ascending.
public struct AggregatedPrefixes: Hashable, Sendable {
    public var ipv4: [AddressRange<IPv4Address>]
    public var ipv6: [AddressRange<IPv6Address>]

    public init(ipv4: [AddressRange<IPv4Address>], ipv6: [AddressRange<IPv6Address>]) {
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }

    /// Whether nothing at all is left.
    public var isEmpty: Bool { ipv4.isEmpty && ipv6.isEmpty }
    /// The minimal CIDR cover of the IPv4 part, ascending.
    public var ipv4CIDRs: [CIDR<IPv4Address>] { ipv4.flatMap(\.cidrs) }
    /// The minimal CIDR cover of the IPv6 part, ascending.
    public var ipv6CIDRs: [CIDR<IPv6Address>] { ipv6.flatMap(\.cidrs) }
}

/// Operations on lists of inclusive ranges.
public enum Intervals {
    /// Sorted, disjoint, non-adjacent ranges covering exactly the union of `ranges`.
    public static func union<A: IPAddress>(_ ranges: [AddressRange<A>]) -> [AddressRange<A>] {
        let sorted = ranges.sorted { $0.lower < $1.lower }
        var result: [AddressRange<A>] = []
        result.reserveCapacity(sorted.count)
        for range in sorted {
            if let last = result.last, last.upper.bits == .max || range.lower.bits <= last.upper.bits + 1 {
                if range.upper > last.upper {
                    result[result.count - 1] = AddressRange(uncheckedLower: last.lower, upper: range.upper)
                }
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// `minuend` without any address of `subtrahend`; both must be normalised by ``union(_:)``.
    public static func subtract<A: IPAddress>(
        _ minuend: [AddressRange<A>], _ subtrahend: [AddressRange<A>]
    ) -> [AddressRange<A>] {
        guard !subtrahend.isEmpty else { return minuend }
        var result: [AddressRange<A>] = []
        var cut = 0
        for range in minuend {
            var lower = range.lower.bits
            let upper = range.upper.bits
            var alive = true
            while cut < subtrahend.count && subtrahend[cut].upper.bits < lower { cut += 1 }
            var probe = cut
            while alive && probe < subtrahend.count && subtrahend[probe].lower.bits <= upper {
                let hole = subtrahend[probe]
                if hole.lower.bits > lower {
                    result.append(AddressRange(uncheckedLower: A(bits: lower), upper: A(bits: hole.lower.bits - 1)))
                }
                if hole.upper.bits >= upper { alive = false } else { lower = hole.upper.bits + 1 }
                probe += 1
            }
            if alive { result.append(AddressRange(uncheckedLower: A(bits: lower), upper: A(bits: upper))) }
        }
        return result
    }
}
