/// Least-significant-digit radix sort of ranges by their lower address, one byte a pass.
///
/// Sorting is the only super-linear step of aggregation; for a million IPv4 ranges the
/// comparison sort took ~5x longer than these four linear passes. Passes where every key
/// has the same byte (common in IPv6, where lists share a few /32s) are skipped.
enum RadixSort {
    static func sortByLower<A: IPAddress>(_ ranges: inout [AddressRange<A>]) {
        let count = ranges.count
        guard count > 1 else { return }
        // Small inputs: the histograms would cost more than they save.
        if count < 256 {
            ranges.sort { $0.lower.bits < $1.lower.bits }
            return
        }
        let passes = A.bitWidth / 8
        // One histogram per byte position, all filled in a single read of the input.
        var histograms = [Int](repeating: 0, count: passes * 256)
        for range in ranges {
            var key = range.lower.bits
            for pass in 0..<passes {
                histograms[pass &* 256 &+ Int(truncatingIfNeeded: key) & 0xff] &+= 1
                key >>= 8
            }
        }
        var scratch = ranges
        var sortedIsScratch = false
        for pass in 0..<passes {
            let base = pass * 256
            // All keys share this byte: the pass would not move anything.
            if histograms[base + Int(truncatingIfNeeded: ranges[0].lower.bits >> (pass * 8)) & 0xff] == count {
                continue
            }
            var offsets = [Int](repeating: 0, count: 256)
            var total = 0
            for digit in 0..<256 {
                offsets[digit] = total
                total += histograms[base + digit]
            }
            let shift = pass * 8
            if sortedIsScratch {
                scatter(from: scratch, into: &ranges, shift: shift, offsets: &offsets)
            } else {
                scatter(from: ranges, into: &scratch, shift: shift, offsets: &offsets)
            }
            sortedIsScratch.toggle()
        }
        if sortedIsScratch { swap(&ranges, &scratch) }
    }

    @inline(__always)
    private static func scatter<A: IPAddress>(
        from source: [AddressRange<A>], into target: inout [AddressRange<A>], shift: Int, offsets: inout [Int]
    ) {
        for range in source {
            let digit = Int(truncatingIfNeeded: range.lower.bits >> shift) & 0xff
            target[offsets[digit]] = range
            offsets[digit] &+= 1
        }
    }
}
