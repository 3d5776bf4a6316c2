import Policy
import Prefix
import Testing
import WindowsRender

/// A reproducible pseudo-random sequence (SplitMix64).
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct FirewallAddressesTests {
    static func v4(_ text: String) -> AddressRange<IPv4Address> {
        guard case .v4(let cidr) = try! PrefixParser.parse(text) else { fatalError(text) }
        return cidr.range
    }

    @Test func entriesAreAddressPrefixOrRange() throws {
        let set = AggregatedPrefixes(
            ipv4: [Self.v4("10.0.0.1"), Self.v4("10.0.1.0/24"), AddressRange(lower: Self.v4("10.0.2.5").lower, upper: Self.v4("10.0.3.9").lower)!],
            ipv6: [])
        #expect(FirewallAddresses.entries(set) == ["10.0.0.1", "10.0.1.0/24", "10.0.2.5-10.0.3.9"])
        let full = AggregatedPrefixes(ipv4: [AddressRange(lower: .min, upper: .max)!], ipv6: [AddressRange(lower: .min, upper: .max)!])
        #expect(FirewallAddresses.entries(full) == ["0.0.0.0/0", "::/0"])
    }

    @Test func complementOfNothingIsEverythingAndBack() {
        let nothing = AggregatedPrefixes(ipv4: [], ipv6: [])
        let everything = FirewallAddresses.complement(nothing)
        #expect(everything.ipv4 == [AddressRange(lower: .min, upper: .max)!])
        #expect(everything.ipv6 == [AddressRange(lower: .min, upper: .max)!])
        #expect(FirewallAddresses.complement(everything) == nothing)
    }

    @Test func complementTouchingBothEnds() {
        let set = [Self.v4("0.0.0.0/8"), Self.v4("10.0.0.0/8"), Self.v4("255.0.0.0/8")]
        #expect(FirewallAddresses.complement(set) == [
            AddressRange(lower: Self.v4("1.0.0.0").lower, upper: Self.v4("9.255.255.255").lower)!,
            AddressRange(lower: Self.v4("11.0.0.0").lower, upper: Self.v4("254.255.255.255").lower)!,
        ])
    }

    @Test func splitKeepsOrderAndLimit() {
        let entries = (0..<2_501).map { "e\($0)" }
        let parts = FirewallAddresses.split(entries)
        #expect(parts.map(\.count) == [1_000, 1_000, 501])
        #expect(parts.flatMap { $0 } == entries)
        #expect(FirewallAddresses.split([]).isEmpty)
    }

    /// 100,000 random prefixes of both families, with exclusions, through the real plan: every
    /// rule within the limit, parts numbered in order, and the rules' addresses read back as
    /// intervals are exactly the trusted set (allow) and exactly its complement (block).
    @Test func hundredThousandPrefixesSplitExactly() throws {
        var random = SeededRandom(state: 12)
        var policy = Policy(
            path: "big.yaml", version: 1,
            interface: Located("mig0", at: SourceLocation(file: "big.yaml", line: 2, column: 12)),
            profile: Located(Profile(name: "hyperv", summary: "", ports: [MigrationPort(.tcp, PortRange(lower: 6600, upper: 6600)!)]),
                             at: SourceLocation(file: "big.yaml", line: 3, column: 10)))
        let at = SourceLocation(file: "big.yaml", line: 5, column: 5)
        for index in 0..<100_000 {
            let prefix: AnyCIDR
            if index % 10 == 0 {
                let address = IPv6Address(bits: UInt128(0x2001_0db8) << 96 | UInt128(random.next() & 0xffff_ffff) << 64)
                prefix = .v6(CIDR(masking: address, length: 48 + Int(random.next() % 17)))
            } else {
                prefix = .v4(CIDR(masking: IPv4Address(bits: UInt32(truncatingIfNeeded: random.next())), length: 20 + Int(random.next() % 13)))
            }
            policy.trusted.networks.append(Located(prefix, at: at))
        }
        for _ in 0..<500 {
            policy.exclude.append(Located(.v4(CIDR(host: IPv4Address(bits: UInt32(truncatingIfNeeded: random.next())))), at: at))
        }
        let trusted = policy.trustedSet()
        #expect(trusted.ipv4.count + trusted.ipv6.count > 50_000, "the set is big enough to need many parts")
        let plan = try HyperVHostPlan.make(policy, trustedSet: trusted)

        let allow = plan.rules.filter { $0.action == .allow }
        let block = plan.rules.filter { $0.action == .block }
        #expect(plan.rules.allSatisfy { !$0.remoteAddresses.isEmpty && $0.remoteAddresses.count <= FirewallAddresses.entriesPerRule })
        #expect(allow.count == (trusted.ipv4.count + trusted.ipv6.count + 999) / 1_000)
        #expect(allow.map(\.name) == (1...allow.count).map { "migfw-allow-tcp-" + String(repeating: "0", count: 3 - String($0).count) + String($0) })
        #expect(block.map(\.name) == (1...block.count).map { "migfw-block-tcp-" + String(repeating: "0", count: 3 - String($0).count) + String($0) })

        let allowed = try EntrySet(allow.flatMap(\.remoteAddresses))
        #expect(allowed.union == trusted)
        #expect(allowed.count == trusted.ipv4.count + trusted.ipv6.count, "one entry per interval")

        let blocked = try EntrySet(block.flatMap(\.remoteAddresses))
        #expect(blocked.count <= trusted.ipv4.count + trusted.ipv6.count + 2)
        // Allow and block together cover each family exactly once: disjoint, and their union is everything.
        #expect(Self.disjoint(allowed.ipv4 + blocked.ipv4) && Self.disjoint(allowed.ipv6 + blocked.ipv6))
        #expect(Intervals.union(allowed.ipv4 + blocked.ipv4) == [AddressRange(lower: .min, upper: .max)!])
        #expect(Intervals.union(allowed.ipv6 + blocked.ipv6) == [AddressRange(lower: .min, upper: .max)!])
    }

    static func disjoint<A: IPAddress>(_ ranges: [AddressRange<A>]) -> Bool {
        let sorted = ranges.sorted()
        return zip(sorted, sorted.dropFirst()).allSatisfy { $0.upper < $1.lower }
    }
}
