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
    ///
    /// Sort-and-sweep rather than a trie: a radix sort on the lower address plus one linear
    /// sweep gives the same set a trie would (both compute the union of the same ranges) with
    /// no per-node allocation, 8 bytes per IPv4 prefix, and sequential memory access.
    /// `consuming` so that the collected lists are sorted in place instead of copied.
    public consuming func aggregate() -> AggregatedPrefixes {
        Intervals.formUnion(&included4)
        Intervals.formUnion(&excluded4)
        Intervals.formUnion(&included6)
        Intervals.formUnion(&excluded6)
        return AggregatedPrefixes(
            ipv4: Intervals.subtract(included4, excluded4),
            ipv6: Intervals.subtract(included6, excluded6)
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
    public var ipv4CIDRs: [CIDR<IPv4Address>] { Intervals.cidrs(ipv4) }
    /// The minimal CIDR cover of the IPv6 part, ascending.
    public var ipv6CIDRs: [CIDR<IPv6Address>] { Intervals.cidrs(ipv6) }
    /// `ipv4CIDRs.count`, without building them.
    public var ipv4CIDRCount: Int { Intervals.cidrCount(ipv4) }
    /// `ipv6CIDRs.count`, without building them.
    public var ipv6CIDRCount: Int { Intervals.cidrCount(ipv6) }
}

/// Operations on lists of inclusive ranges.
public enum Intervals {
    /// Sorted, disjoint, non-adjacent ranges covering exactly the union of `ranges`.
    public static func union<A: IPAddress>(_ ranges: [AddressRange<A>]) -> [AddressRange<A>] {
        var result = ranges
        formUnion(&result)
        return result
    }

    /// Replaces `ranges` by ``union(_:)`` of them, in place.
    public static func formUnion<A: IPAddress>(_ ranges: inout [AddressRange<A>]) {
        RadixSort.sortByLower(&ranges)
        guard ranges.count > 1 else { return }
        // Sweep: ranges[0...kept] is the merged prefix of the sorted list.
        var kept = 0
        var keptUpper = ranges[0].upper.bits
        for index in 1..<ranges.count {
            let range = ranges[index]
            if keptUpper == .max || range.lower.bits <= keptUpper + 1 {
                if range.upper.bits > keptUpper {
                    keptUpper = range.upper.bits
                    ranges[kept] = AddressRange(uncheckedLower: ranges[kept].lower, upper: range.upper)
                }
            } else {
                kept += 1
                ranges[kept] = range
                keptUpper = range.upper.bits
            }
        }
        ranges.removeSubrange((kept + 1)...)
    }

    /// The minimal CIDR cover of normalised `ranges`, ascending.
    public static func cidrs<A: IPAddress>(_ ranges: [AddressRange<A>]) -> [CIDR<A>] {
        var result: [CIDR<A>] = []
        result.reserveCapacity(ranges.count * 2)
        for range in ranges { range.forEachCIDR { result.append($0) } }
        return result
    }

    /// `cidrs(ranges).count`, without building them.
    public static func cidrCount<A: IPAddress>(_ ranges: [AddressRange<A>]) -> Int {
        var count = 0
        for range in ranges { range.forEachCIDR { _ in count += 1 } }
        return count
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
