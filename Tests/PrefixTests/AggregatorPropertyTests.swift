import Testing
@testable import Prefix

/// The aggregator against the address-by-address oracle on random small windows.
@Suite struct AggregatorPropertyTests {
    static let caseCount = 10_000

    @Test func matchesBruteForceOracleOnRandomWindows() {
        var generator = SeededGenerator(seed: 0x6D69_6766_7733)
        var failures = 0
        for index in 0..<Self.caseCount where failures < 5 {
            let seed = generator.next()
            if !Self.checkCase(seed: seed) {
                failures += 1
                Issue.record("random case \(index) failed; replay with checkCase(seed: \(seed))")
            }
        }
    }

    /// One case: a few includes and excludes of both families, each in its own window.
    static func checkCase(seed: UInt64) -> Bool {
        var generator = SeededGenerator(seed: seed)
        let base4 = WindowOracle<IPv4Address>.randomBase(using: &generator)
        let base6 = WindowOracle<IPv6Address>.randomBase(using: &generator)
        var oracle4 = WindowOracle<IPv4Address>(base: base4)
        var oracle6 = WindowOracle<IPv6Address>(base: base6)
        var aggregator = PrefixAggregator()
        var excludes4: [CIDR<IPv4Address>] = [], excludes6: [CIDR<IPv6Address>] = []
        for _ in 0..<Int.random(in: 0...12, using: &generator) {
            let v4 = WindowOracle<IPv4Address>.randomPrefix(base: base4, using: &generator)
            let v6 = WindowOracle<IPv6Address>.randomPrefix(base: base6, using: &generator)
            oracle4.include(v4)
            oracle6.include(v6)
            aggregator.include(.v4(v4))
            aggregator.include(.v6(v6))
        }
        for _ in 0..<Int.random(in: 0...4, using: &generator) {
            excludes4.append(WindowOracle<IPv4Address>.randomPrefix(base: base4, using: &generator))
            excludes6.append(WindowOracle<IPv6Address>.randomPrefix(base: base6, using: &generator))
        }
        // Exclusions win whatever the order, so the oracle applies them last.
        for cidr in excludes4 { oracle4.exclude(cidr); aggregator.exclude(.v4(cidr)) }
        for cidr in excludes6 { oracle6.exclude(cidr); aggregator.exclude(.v6(cidr)) }

        let result = aggregator.aggregate()
        var ok = result.ipv4 == oracle4.ranges && result.ipv6 == oracle6.ranges
        ok = ok && isNormalised(result.ipv4) && isNormalised(result.ipv6)
        ok = ok && result.ipv4CIDRs == oracle4.cidrs && result.ipv6CIDRs == oracle6.cidrs
        ok = ok && isMinimalCover(result.ipv4CIDRs) && isMinimalCover(result.ipv6CIDRs)
        ok = ok && result.isEmpty == (oracle4.ranges.isEmpty && oracle6.ranges.isEmpty)
        if seed % 16 == 0 {
            // The byte-level text agrees with the String descriptions.
            let lines = (result.ipv4CIDRs.map(\.description) + result.ipv6CIDRs.map(\.description))
            ok = ok && String(decoding: result.rendered(as: .cidr), as: UTF8.self) == lines.map { $0 + "\n" }.joined()
        }
        return ok
    }

    @Test func radixSortedUnionMatchesComparisonSortedUnion() {
        var generator = SeededGenerator(seed: 42)
        for size in [0, 1, 2, 255, 256, 257, 5_000, 50_000] {
            let v4: [AddressRange<IPv4Address>] = (0..<size).map { _ in
                let length = Int.random(in: 8...32, using: &generator)
                return CIDR(masking: IPv4Address(bits: .random(in: 0...UInt32.max, using: &generator)), length: length).range
            }
            #expect(Intervals.union(v4) == Self.referenceUnion(v4), "IPv4, \(size) ranges")
            let v6: [AddressRange<IPv6Address>] = (0..<size).map { _ in
                // Shared high bits, so some radix passes are skipped and others are not.
                let bits = UInt128(0x2001_0db8) << 96 | UInt128(generator.next() & 0xffff_ffff) << 64 | UInt128(generator.next())
                return CIDR(masking: IPv6Address(bits: bits), length: Int.random(in: 40...128, using: &generator)).range
            }
            #expect(Intervals.union(v6) == Self.referenceUnion(v6), "IPv6, \(size) ranges")
        }
    }

    /// The union by a comparison sort and a plain sweep, written independently of the library.
    static func referenceUnion<A: IPAddress>(_ ranges: [AddressRange<A>]) -> [AddressRange<A>] {
        var result: [AddressRange<A>] = []
        for range in ranges.sorted() {
            if let last = result.last, last.upper.bits == .max || range.lower.bits <= last.upper.bits + 1 {
                result[result.count - 1] = AddressRange(lower: last.lower, upper: max(last.upper, range.upper))!
            } else {
                result.append(range)
            }
        }
        return result
    }

    @Test func cidrCoverOfRandomRangesIsExactAndMinimal() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<2_000 {
            let a = UInt32.random(in: 0...UInt32.max, using: &generator)
            let b = a &+ UInt32.random(in: 0...(1 << UInt32.random(in: 0...31, using: &generator)), using: &generator)
            let range = AddressRange(lower: IPv4Address(bits: min(a, b)), upper: IPv4Address(bits: max(a, b)))!
            let cidrs = range.cidrs
            #expect(cidrs.first?.first == range.lower && cidrs.last?.last == range.upper)
            for (left, right) in zip(cidrs, cidrs.dropFirst()) { #expect(left.last.bits &+ 1 == right.first.bits) }
            #expect(isMinimalCover(cidrs))
        }
    }
}
