import Engine
import Foundation
import Netlink
import Plan
import Prefix
import Ruleset
import Testing
import TestSupport

/// Engine pieces of plan/reconcile that need no kernel: batch order, the state file, the
/// metrics text, drift events, the lock.
@Suite struct PlanEngineUnitTests {
    static func host(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> AddressRange<IPv4Address> {
        CIDR(host: IPv4Address(a, b, c, d)).range
    }

    static let desired = Table(
        sets: [NamedSet(name: "trusted4", elements: .ipv4([host(192, 168, 20, 11)])),
               NamedSet(name: "trusted6", elements: .ipv6([]))],
        chains: [Chain(name: "input", base: BaseChain(hook: .input),
                       rules: [Rule([.lookup(set: "trusted4", sreg: .reg1, inverted: false), .verdict(.accept)])])])

    @Test func elementOnlyBatchDeletesBeforeItAdds() {
        var actual = Self.desired
        actual.sets[0].elements = .ipv4([Self.host(10, 66, 0, 7)])
        actual.sets[1].elements = .ipv6([CIDR(host: IPv6Address(bits: 1)).range])
        let batch = Batch.carrying(Planner.plan(desired: Self.desired, actual: actual))
        #expect(batch.operations == [
            .deleteElements(set: "trusted4", .ipv4([Self.host(10, 66, 0, 7)])),
            .deleteElements(set: "trusted6", .ipv6([CIDR(host: IPv6Address(bits: 1)).range])),
            .addElements(set: "trusted4", .ipv4([Self.host(192, 168, 20, 11)])),
        ])
    }

    @Test func structuralBatchOrderSatisfiesKernelReferences() {
        var actual = Self.desired
        actual.sets[0].flags = [.interval, .constant]            // set re-created
        actual.chains[0].base?.policy = .drop                     // policy update
        actual.chains.append(Chain(name: "stale", rules: [Rule([.verdict(.accept)])]))
        let batch = Batch.carrying(Planner.plan(desired: Self.desired, actual: actual))
        let ops = batch.operations
        func index(_ op: Batch.Operation) -> Int { ops.firstIndex(of: op) ?? -1 }
        #expect(index(.flushChain("input")) >= 0)
        #expect(index(.flushChain("stale")) < index(.deleteChain("stale")))
        #expect(index(.flushChain("input")) < index(.deleteSet("trusted4")))
        #expect(index(.deleteSet("trusted4")) < index(.addSet(Self.desired.sets[0])))
        // A policy change re-creates the chain (with its rules) after the sets exist.
        #expect(index(.flushChain("input")) < index(.deleteChain("input")))
        #expect(index(.addSet(Self.desired.sets[0])) < index(.addChain(Self.desired.chains[0])))
        #expect(!ops.contains(.addRule(chain: "input", Self.desired.chains[0].rules[0])))
    }

    @Test func missingTableIsCreatedWholeWithTheDigest() {
        let batch = Batch.carrying(Planner.plan(desired: Self.desired, actual: nil), userdata: [1, 2])
        #expect(batch.operations.first == .addTable(userdata: [1, 2]))
        #expect(batch == Batch.create({ var t = Self.desired; t.userdata = [1, 2]; return t }(), replacing: false))
    }

    @Test func stateFileRoundTrips() throws {
        let path = URL(fileURLWithPath: privateTemporaryDirectory).appendingPathComponent("mfwt-state-\(getpid()).bin").path
        defer { ApplyState.forget(path: path) }
        let sets = Self.desired.sets + [
            NamedSet(name: "v6", elements: .ipv6([AddressRange(lower: IPv6Address(bits: 5), upper: IPv6Address(bits: .max))!])),
            NamedSet(name: "tcp_ports", elements: .ports([22...22, 49152...49215])),
        ]
        let state = ApplyState(namespaceID: 4026532000, generation: 77, digest: 0xdead_beef_0123_4567, sets: sets)
        try state.save(path: path)
        #expect(ApplyState.load(path: path) == state)
        try Data("MIGFWST1 garbage".utf8).write(to: URL(fileURLWithPath: path))
        #expect(ApplyState.load(path: path) == nil)
    }

    @Test func metricsTextAndAtomicWrite() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mfwt-metrics-\(getpid()).prom").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var metrics = ReconcileMetrics(timestamp: Date(timeIntervalSince1970: 1_700_000_000), inSync: false, driftChanges: 3,
                                       unexpectedAddresses: 1, trustedPrefixes: (10, 2))
        try metrics.write(to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("migfw_last_run_timestamp_seconds 1700000000.000\n"))
        #expect(text.contains("migfw_in_sync 0\n"))
        #expect(text.contains("migfw_drift_changes 3\n"))
        #expect(text.contains("migfw_trusted_prefixes{family=\"ipv6\"} 2\n"))
        #expect(text.contains("migfw_last_error 0\n"))
        metrics.lastError = "bad \"quote\"\nline"
        #expect(metrics.text.contains("migfw_last_error{reason=\"bad \\\"quote\\\"\\nline\"} 1\n"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
            .filter { $0.contains("mfwt-metrics-\(getpid()).prom.") }
        #expect(leftovers.isEmpty)
    }

    @Test func driftEventsNameEveryChangeAndFlagIntrusions() {
        var actual = Self.desired
        actual.sets[0].elements = .ipv4([Self.host(10, 66, 0, 7)])
        let events = DriftEvents.events(for: Planner.plan(desired: Self.desired, actual: actual))
        #expect(events.contains { $0.message == "drift: set trusted4: removed unexpected element 10.66.0.7/32" })
        #expect(events.contains { $0.message == "drift: set trusted4: restored missing element 192.168.20.11/32" })
        #expect(events.contains { $0.level == .critical && $0.message.contains("possible intrusion: set trusted4") })
    }

    /// Drift that opened a door in a chain (a drop of the policy missing, a rule that lets
    /// packets pass inserted) is logged at the security level, not as plain drift (the
    /// review: a deleted drop of other NICs' migration ports was a warning).
    @Test func driftThatOpensADoorIsASecurityEvent() {
        let drop = Rule([.lookup(set: "trusted4", sreg: .reg1, inverted: true), .counter, .verdict(.drop)])
        var desired = Self.desired
        desired.chains[0].rules.append(drop)
        var lost = desired
        lost.chains[0].rules.removeLast()
        let missing = DriftEvents.events(for: Planner.plan(desired: desired, actual: lost))
        #expect(missing.contains { $0.level == .critical && $0.message.hasPrefix("open door: drift: chain input")
            && $0.message.contains("1 of its drop rules were missing") }, "\(missing)")
        var inserted = desired
        inserted.chains[0].rules.insert(Rule([.meta(.iifname, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: Array("mgmt0".utf8) + [UInt8](repeating: 0, count: 11)),
                                              .verdict(.return)]), at: 0)
        let passing = DriftEvents.events(for: Planner.plan(desired: desired, actual: inserted))
        #expect(passing.contains { $0.level == .critical && $0.message.contains("iifname \"mgmt0\" return") }, "\(passing)")
        // An extra drop opens nothing: plain drift.
        var stricter = desired
        stricter.chains[0].rules.append(Rule([.verdict(.drop)]))
        let extra = DriftEvents.events(for: Planner.plan(desired: desired, actual: stricter))
        #expect(!extra.isEmpty && extra.allSatisfy { $0.level == .warning }, "\(extra)")
    }

    @Test func lockIsExclusiveAndReleasedWithItsOwner() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mfwt-lock-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var first: RunLock? = try RunLock.acquire(path: path, timeout: 0)
        #expect(first != nil)
        // flock locks belong to the open file description: a second open conflicts even
        // in the same process, as another migfw process would.
        #expect(throws: EngineError.lockTimeout(path: path, seconds: 0.1)) { try RunLock.acquire(path: path, timeout: 0.1) }
        first = nil
        _ = try RunLock.acquire(path: path, timeout: 0)
    }
}

/// The digest covers every field of every expression: tables that differ only where the nft
/// text (or the debug text, which pads data to words) reads the same still differ.
@Suite struct RulesetDigestFieldTests {
    typealias Expressions = [Ruleset.Expression]

    static func table(_ expressions: Expressions) -> Table {
        Table(sets: [], chains: [Chain(name: "input", base: nil, rules: [Rule(expressions + [.verdict(.accept)])])])
    }

    /// Pairs of rules that differ in one field only.
    static let pairs: [(Expressions, Expressions)] = {
        var pairs: [(Expressions, Expressions)] = []
        // A 2-byte compare (port 49152) and a 1-byte one (49152-49407).
        pairs.append(([.cmp(.eq, sreg: .reg1, data: [0xc0, 0x00])], [.cmp(.eq, sreg: .reg1, data: [0xc0])]))
        pairs.append(([.bitwise(sreg: .reg1, dreg: .reg1, length: 4, mask: [6, 0, 0, 0], xor: [0, 0, 0, 0])],
                      [.bitwise(sreg: .reg1, dreg: .reg1, length: 2, mask: [6, 0, 0, 0], xor: [0, 0, 0, 0])]))
        pairs.append(([.unknown(name: "fib", detail: "x")], [.unknown(name: "rt", detail: "x")]))
        pairs.append(([.payload(.transport, offset: 2, length: 2, dreg: .reg1)], [.payload(.transport, offset: 2, length: 1, dreg: .reg1)]))
        pairs.append(([.lookup(set: "trusted4", sreg: .reg1, inverted: false)], [.lookup(set: "trusted4", sreg: .reg1, inverted: true)]))
        pairs.append(([.log(prefix: "a", level: nil)], [.log(prefix: nil, level: nil)]))
        pairs.append(([.counter], []))
        return pairs
    }()

    /// The digest is stored in tables and state files and compared across processes and
    /// builds: an accidental change of its format must show here (a deliberate one bumps
    /// ``RulesetDigest/userdataType`` and this value).
    @Test func formatIsPinned() {
        let ranges = [AddressRange(lower: IPv4Address(bits: 0x0a00_0000), upper: IPv4Address(bits: 0x0a00_00ff))!,
                      AddressRange(lower: IPv4Address(bits: 0xc0a8_0105), upper: IPv4Address(bits: 0xc0a8_0105))!]
        var table = Self.table([.payload(.network, offset: 12, length: 4, dreg: .reg1),
                                .lookup(set: "trusted4", sreg: .reg1, inverted: false), .counter])
        table.sets = [NamedSet(name: "trusted4", elements: .ipv4(ranges))]
        #expect(String(RulesetDigest.digest(table), radix: 16) == "e8fca0dbdcbab70f")
        #expect(RulesetDigest.userdataType == 0x6f)
    }

    @Test(arguments: pairs.indices)
    func differentRulesHaveDifferentDigests(_ index: Int) {
        let (one, other) = Self.pairs[index]
        #expect(Self.table(one) != Self.table(other))
        #expect(RulesetDigest.digest(Self.table(one)) != RulesetDigest.digest(Self.table(other)))
        #expect(RulesetDigest.digest(Self.table(one)) == RulesetDigest.digest(Self.table(one)))
    }
}

/// The rollback record's file: one line, read back exactly; anything malformed is no record.
@Suite struct RolledBackPolicyFileTests {
    @Test func roundTripsAndRefusesMalformedFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("migfw-rb-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = RolledBackPolicy.path(directory: directory, namespace: "mfwt-x")
        let record = RolledBackPolicy(digest: 0xdead_beef_0000_0001, time: 1_790_000_000, bootID: "boot-1",
                                      namespaceID: 1 << 63 | 42, reason: "not confirmed within 5 s\nsecond line")
        try record.save(path: path)
        var expected = record
        expected.reason = "not confirmed within 5 s second line"
        #expect(RolledBackPolicy.load(path: path) == expected)
        #expect(record.timeText == "2026-09-21 14:13:20 UTC")
        // Another boot, or a namespace that cannot be identified: not this one's record.
        #expect(!record.belongs(toNamespace: "mfwt-x"))
        #expect(!RolledBackPolicy(digest: 1, namespaceID: 0, reason: "r").belongs(toNamespace: nil))

        for text in ["", "zz 1 b 2 r\n", "1 x b 2 r\n", "1 2 b\n", "1 2 b zz r\n"] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            #expect(RolledBackPolicy.load(path: path) == nil, "\(text)")
        }
        RolledBackPolicy.forget(path: path)
        #expect(RolledBackPolicy.load(path: path) == nil)
    }
}
