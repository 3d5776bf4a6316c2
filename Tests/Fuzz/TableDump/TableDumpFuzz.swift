@_spi(Fuzzing) import Netlink
import Prefix
import Ruleset

/// libFuzzer entry point for the decoder of nf_tables dump replies (what `readTable` turns
/// into the model), fed with mutations of real dumps captured from a kernel. Checks beyond
/// "no crash": decoding is deterministic, interval sets come out sorted and disjoint (the
/// planner's deltas rely on it), and the decoded table renders as nft text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Safety: libFuzzer passes `size` readable bytes at `data`; they are copied at once.
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let snapshot = TableDump.decode(bytes) else { return 0 }
    precondition(TableDump.decode(bytes) == snapshot, "decoding the same bytes twice differed")
    for set in snapshot.table.sets where set.flags.contains(.interval) {
        switch set.elements {
        case .ipv4(let ranges): checkSortedDisjoint(ranges.map { ($0.lower.bits, $0.upper.bits) }, set.name)
        case .ipv6(let ranges): checkSortedDisjoint(ranges.map { ($0.lower.bits, $0.upper.bits) }, set.name)
        case .ports(let ranges): checkSortedDisjoint(ranges.map { ($0.lowerBound, $0.upperBound) }, set.name)
        case .unknown: break
        }
    }
    _ = NftText.render(snapshot.table)
    return 0
}

func checkSortedDisjoint<T: FixedWidthInteger>(_ ranges: [(T, T)], _ set: String) {
    for index in ranges.indices {
        precondition(ranges[index].0 <= ranges[index].1, "set \(set): inverted range")
        if index > 0 { precondition(ranges[index - 1].1 < ranges[index].0, "set \(set): ranges overlap") }
    }
}
