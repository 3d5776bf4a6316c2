@_spi(Fuzzing) import Netlink
import Plan
import Prefix
import Ruleset

/// libFuzzer entry point for the decoder of nf_tables dump replies (what `readTable` turns
/// into the model), fed with mutations of real dumps captured from a kernel. Checks beyond
/// "no crash": decoding is deterministic, interval sets come out sorted and disjoint (the
/// planner's deltas rely on it), and the decoded table renders as nft text. The same table is
/// then judged the way `status` judges another tool's table (``ForeignConflicts``), against a
/// host's and a gateway's migfw table, and read the way `status` reads its paths: the seeds
/// hold other tools' constructs too (Tests/Fuzz/Seeds/ForeignDump).
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
    var foreign = snapshot.table
    foreign.name = "other"
    for migfw in judges {
        let conflicts = ForeignConflicts.find(migfw: migfw, others: [foreign])
        precondition(ForeignConflicts.find(migfw: migfw, others: [foreign]) == conflicts, "judging the same table twice differed")
    }
    _ = GuardedPaths(snapshot.table).lines
    return 0
}

/// migfw tables whose traffic a foreign table is judged against: a host's (migration NIC
/// mig0, replies included) and a routed gateway's.
let judges: [Table] = {
    let name = Array("mig0".utf8) + Array(repeating: 0, count: 12)
    let ports = NamedSet(name: "tcp_ports", elements: .ports([16514...16514, 49152...49215]))
    let dispatch = Rule([.meta(.iifname, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: name), .verdict(.goto("migration_in"))])
    let host = Table(sets: [ports], chains: [Chain(name: "migration_in"),
                                             Chain(name: "input", base: BaseChain(hook: .input), rules: [dispatch]),
                                             Chain(name: "output", base: BaseChain(hook: .output))])
    let gateway = Table(sets: [ports], chains: [Chain(name: "forward", base: BaseChain(hook: .forward)),
                                                Chain(name: "output", base: BaseChain(hook: .output))])
    return [host, gateway]
}()

func checkSortedDisjoint<T: FixedWidthInteger>(_ ranges: [(T, T)], _ set: String) {
    for index in ranges.indices {
        precondition(ranges[index].0 <= ranges[index].1, "set \(set): inverted range")
        if index > 0 { precondition(ranges[index - 1].1 < ranges[index].0, "set \(set): ranges overlap") }
    }
}
