import Prefix

/// Facts about address space that the lints need.
enum AddressSpace {
    /// Space that is never routed on the public internet: RFC 1918, shared (RFC 6598),
    /// loopback, link-local, benchmarking (RFC 2544), documentation (RFC 5737, RFC 3849),
    /// unique local (fc00::/7). Documentation space counts as private so that examples lint clean.
    static let nonPublic: [AnyCIDR] = [
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
        "169.254.0.0/16", "198.18.0.0/15", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
        "fc00::/7", "fe80::/10", "::1/128", "2001:db8::/32",
    ].map { try! PrefixParser.parse($0) }

    /// Whether any address of `prefix` lies outside the non-public blocks.
    static func isPublic(_ prefix: AnyCIDR) -> Bool {
        !nonPublic.contains { contains($0, prefix) }
    }

    /// Whether `inner` lies entirely inside `outer` (false across families).
    static func contains(_ outer: AnyCIDR, _ inner: AnyCIDR) -> Bool {
        switch (outer, inner) {
        case (.v4(let o), .v4(let i)): o.contains(i)
        case (.v6(let o), .v6(let i)): o.contains(i)
        default: false
        }
    }

    /// Whether `prefix` shares an address with the aggregated set.
    static func intersects(_ set: AggregatedPrefixes, _ prefix: AnyCIDR) -> Bool {
        switch prefix {
        case .v4(let p): intersects(set.ipv4, p.range)
        case .v6(let p): intersects(set.ipv6, p.range)
        }
    }

    /// Binary search in sorted, disjoint ranges.
    static func intersects<A: IPAddress>(_ ranges: [AddressRange<A>], _ range: AddressRange<A>) -> Bool {
        var low = 0, high = ranges.count
        // The first range whose upper end is at or past `range.lower`.
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].upper < range.lower { low = middle + 1 } else { high = middle }
        }
        return low < ranges.count && ranges[low].lower <= range.upper
    }
}
