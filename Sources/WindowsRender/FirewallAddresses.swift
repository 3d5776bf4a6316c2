import Prefix

/// `-RemoteAddress` entries for Windows Defender Firewall rules, built from the same compiled
/// trusted set the nftables rules use, so both sides trust exactly the same addresses.
///
/// One entry per interval: a single address, a prefix when the interval is exactly one, or
/// a range `first-last` (the firewall accepts all three), so a rule needs as many entries as
/// the set has intervals, never more than its minimal CIDR cover.
public enum FirewallAddresses {
    /// The most address entries one rule holds. Microsoft documents no limit; rules over about
    /// 1,000 entries are reported to fail or slow the firewall down (crowdsec's Windows bouncer
    /// shards at 1,000), so larger sets are split over several rules.
    public static let entriesPerRule = 1_000

    /// The entries for `set`: IPv4 ascending, then IPv6 ascending.
    public static func entries(_ set: AggregatedPrefixes) -> [String] {
        var result: [String] = []
        result.reserveCapacity(set.ipv4.count + set.ipv6.count)
        for range in set.ipv4 { result.append(entry(range)) }
        for range in set.ipv6 { result.append(entry(range)) }
        return result
    }

    /// Every address of both families that is not in `set`: at most n+1 intervals per family.
    public static func complement(_ set: AggregatedPrefixes) -> AggregatedPrefixes {
        AggregatedPrefixes(ipv4: complement(set.ipv4), ipv6: complement(set.ipv6))
    }

    /// The gaps between sorted, disjoint, non-adjacent `ranges` and around them.
    public static func complement<A: IPAddress>(_ ranges: [AddressRange<A>]) -> [AddressRange<A>] {
        var result: [AddressRange<A>] = []
        result.reserveCapacity(ranges.count + 1)
        var next: A.Bits = 0
        var covered = false  // whether `next` has run past the top of the space
        for range in ranges {
            if range.lower.bits > next {
                result.append(AddressRange(lower: A(bits: next), upper: A(bits: range.lower.bits - 1))!)
            }
            if range.upper.bits == .max {
                covered = true
                break
            }
            next = range.upper.bits + 1
        }
        if !covered { result.append(AddressRange(lower: A(bits: next), upper: A.max)!) }
        return result
    }

    /// `entries` in consecutive parts of at most `limit` each (no part when there are none).
    public static func split(_ entries: [String], limit: Int = entriesPerRule) -> [[String]] {
        precondition(limit > 0)
        return stride(from: 0, to: entries.count, by: limit).map { Array(entries[$0..<min($0 + limit, entries.count)]) }
    }

    /// One entry: `a`, `a/len` or `a-b`.
    public static func entry<A: IPAddress>(_ range: AddressRange<A>) -> String {
        if range.lower == range.upper { return "\(range.lower)" }
        let span = range.upper.bits - range.lower.bits
        // One prefix exactly when the size (span + 1) is a power of two and the start is aligned to it.
        if span & (span &+ 1) == 0 && range.lower.bits & span == 0 {
            let hostBits = span == .max ? A.bitWidth : A.bitWidth - span.leadingZeroBitCount
            return "\(range.lower)/\(A.bitWidth - hostBits)"
        }
        return "\(range.lower)-\(range.upper)"
    }
}
