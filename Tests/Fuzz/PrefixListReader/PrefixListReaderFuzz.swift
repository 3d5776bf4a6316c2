import Prefix

/// libFuzzer entry point for ``PrefixListReader``: any bytes, read as a prefix list (host
/// bits masked, every bad line collected). Prefixes on odd lines are included, on even lines
/// excluded; the aggregate must be sorted, disjoint and non-adjacent, hold the first address
/// of every included prefix that no exclusion covers, and none of any excluded prefix.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Safety: libFuzzer passes `size` readable bytes at `data`; they are copied at once.
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var included: [AnyCIDR] = [], excluded: [AnyCIDR] = []
    var aggregator = PrefixAggregator(), exclusions = PrefixAggregator()
    var errors: [PrefixListError] = []
    try? PrefixListReader(hostBits: .mask).scan(bytes.span, source: "fuzz", { prefix, line, column in
        precondition(line >= 1 && column >= 1, "entry at \(line):\(column)")
        if line % 2 == 1 { included.append(prefix); aggregator.include(prefix) }
        else { excluded.append(prefix); aggregator.exclude(prefix); exclusions.include(prefix) }
    }, onError: { errors.append($0) })
    for error in errors { precondition(error.line >= 1 && error.column >= 1, "error at \(error.line):\(error.column)") }
    let result = aggregator.aggregate(), removed = exclusions.aggregate()
    checkNormalised(result.ipv4)
    checkNormalised(result.ipv6)
    func covered(_ prefix: AnyCIDR, by set: AggregatedPrefixes) -> Bool {
        switch prefix {
        case .v4(let p): contains(set.ipv4, p.first)
        case .v6(let p): contains(set.ipv6, p.first)
        }
    }
    for prefix in excluded { precondition(!covered(prefix, by: result), "excluded \(prefix) is in the aggregate") }
    for prefix in included where !covered(prefix, by: removed) {
        precondition(covered(prefix, by: result), "included \(prefix) is missing from the aggregate")
    }
    return 0
}

/// Sorted, disjoint and non-adjacent: the form an nftables interval set needs.
func checkNormalised<A: IPAddress>(_ ranges: [AddressRange<A>]) {
    for index in ranges.indices.dropFirst() {
        let previous = ranges[index - 1].upper.bits
        precondition(previous != .max && previous + 1 < ranges[index].lower.bits, "ranges overlap or touch at \(index)")
    }
}

/// Whether sorted disjoint `ranges` hold `address` (binary search).
func contains<A: IPAddress>(_ ranges: [AddressRange<A>], _ address: A) -> Bool {
    var low = 0, high = ranges.count
    while low < high {
        let middle = (low + high) / 2
        if ranges[middle].upper < address { low = middle + 1 } else { high = middle }
    }
    return low < ranges.count && ranges[low].contains(address)
}
