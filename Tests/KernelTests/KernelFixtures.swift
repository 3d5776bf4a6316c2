import Foundation
import Engine
import Policy
import Prefix
import Ruleset
import TestSupport

/// A throwaway namespace with the samples' migration NIC, `mig0` (one end of a veth pair:
/// this kernel has no dummy module).
func migrationNamespace(tag: String) throws -> TestNamespace {
    let namespace = try TestNamespace(tag: tag)
    do {
        try namespace.exec(["ip", "link", "add", "mig0", "type", "veth", "peer", "name", "mig0p"])
    } catch {
        namespace.destroy()
        throw error
    }
    return namespace
}

/// Runs `body` with a migration namespace that is deleted afterwards, also on failure.
func withMigrationNamespace<T>(tag: String, _ body: (TestNamespace) throws -> T) throws -> T {
    let namespace = try migrationNamespace(tag: tag)
    defer { namespace.destroy() }
    return try body(namespace)
}

/// Every sample policy in samples/.
func samplePaths() throws -> [String] {
    let directory = packageRoot.appendingPathComponent("samples")
    return try FileManager.default.contentsOfDirectory(atPath: directory.path)
        .filter { $0.hasSuffix(".yaml") }.sorted()
        .map { directory.appendingPathComponent($0).path }
}

/// The compiled table of sample `name` (in samples/).
func sampleTable(_ name: String) throws -> Table {
    RulesetCompiler.compile(try PolicyLoader.load(path: packageRoot.appendingPathComponent("samples/\(name)").path))
}

/// Adds network interface `name` to `namespace` (a veth end), for a policy whose interface
/// is not the migration namespace's `mig0`.
func addInterface(_ name: String, to namespace: TestNamespace) throws {
    guard name != "mig0" else { return }
    try namespace.exec(["ip", "link", "add", name, "type", "veth", "peer", "name", String(name.prefix(12)) + "-p"])
}

/// The compiled table of the libvirt sample with its trusted sets replaced.
func libvirtTable(ipv4: [AddressRange<IPv4Address>]? = nil, ipv6: [AddressRange<IPv6Address>]? = nil) throws -> Table {
    let policy = try PolicyLoader.load(path: packageRoot.appendingPathComponent("samples/libvirt.yaml").path)
    var table = RulesetCompiler.compile(policy)
    for index in table.sets.indices {
        if table.sets[index].name == NamedSet.trusted4, let ipv4 { table.sets[index].elements = .ipv4(ipv4) }
        if table.sets[index].name == NamedSet.trusted6, let ipv6 { table.sets[index].elements = .ipv6(ipv6) }
    }
    return table
}

/// `count` sorted, disjoint, non-adjacent IPv4 intervals of random sizes (seeded), the first
/// starting at 0.0.0.0 and the last ending at 255.255.255.255, so both edges of the address
/// space (no end element at the top) are exercised.
func randomIPv4Intervals(_ count: Int, seed: UInt64) -> [AddressRange<IPv4Address>] {
    var generator = SplitMix(seed: seed)
    let stride = UInt32.max / UInt32(count)
    var ranges: [AddressRange<IPv4Address>] = []
    ranges.reserveCapacity(count)
    for index in 0..<count {
        let base = UInt32(index) * stride
        let start = index == 0 ? 0 : base + UInt32(generator.next() % UInt64(stride / 2))
        var end = start + UInt32(generator.next() % UInt64(stride / 3))
        if index == count - 1 { end = .max }
        ranges.append(AddressRange(lower: IPv4Address(bits: start), upper: IPv4Address(bits: end))!)
    }
    return ranges
}

/// As ``randomIPv4Intervals(_:seed:)`` for IPv6, mostly /64-sized and /48-sized blocks.
func randomIPv6Intervals(_ count: Int, seed: UInt64) -> [AddressRange<IPv6Address>] {
    var generator = SplitMix(seed: seed)
    let stride = UInt128.max / UInt128(count)
    var ranges: [AddressRange<IPv6Address>] = []
    for index in 0..<count {
        let base = UInt128(index) * stride
        let start = index == 0 ? 0 : base & ~((UInt128(1) << 64) - 1) + (UInt128(generator.next() >> 24) << 64)
        let blocks = UInt128(generator.next() % 3 + 1)
        var end = start + (blocks << (generator.next() % 2 == 0 ? 64 : 80)) - 1
        if index == count - 1 { end = .max }
        ranges.append(AddressRange(lower: IPv6Address(bits: start), upper: IPv6Address(bits: end))!)
    }
    return ranges
}

/// A tiny seeded generator, so a failing scale test can be reproduced.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Puts `table` into `namespace` through the engine (``Applier``, `options`; default: the
/// plan, which creates a missing table whole and verifies it in full), keeping its state
/// record in a private temporary directory, never the host's.
@discardableResult
func engineApply(_ table: Table, namespace: String, _ options: ApplyOptions = ApplyOptions()) throws -> Applier.Result {
    let directory = URL(fileURLWithPath: privateTemporaryDirectory).appendingPathComponent(UUID().uuidString).path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try Applier(namespace: namespace, stateDirectory: directory, family: table.family).apply(table, options)
}
