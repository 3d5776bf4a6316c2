import Testing
@testable import Prefix

/// RFC 5952 text output, and parse(text(address)) == address for random addresses.
@Suite struct AddressTextTests {
    @Test(arguments: [
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), ("2001:db8::0:1", "2001:db8::1"), ("0::0", "::"),
        ("::1", "::1"), ("1::", "1::"), ("2001:DB8:AAAA::", "2001:db8:aaaa::"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"), ("0:0:1:0:0:1:0:0", "::1:0:0:1:0:0"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"), ("::ffff:0:0", "::ffff:0.0.0.0"), ("::ffff:c000:201", "::ffff:192.0.2.1"),
        ("::1.2.3.4", "::102:304"), ("64:ff9b::1.2.3.4", "64:ff9b::102:304"), ("1:ffff::", "1:ffff::"),
    ])
    func ipv6Canonical(_ text: String, _ canonical: String) throws {
        #expect(try PrefixParser.parse(text).description == canonical + "/128")
    }

    @Test func randomAddressesRoundTrip() throws {
        var generator = SeededGenerator(seed: 99)
        for _ in 0..<5_000 {
            // Sparse groups, so zero runs of every length and position occur.
            var bits: UInt128 = 0
            for _ in 0..<8 {
                let group = generator.next() % 3 == 0 ? UInt128(generator.next() & 0xffff) : 0
                bits = bits << 16 | group
            }
            let v6 = IPv6Address(bits: bits)
            #expect(try PrefixParser.parse(v6.description) == .v6(CIDR(host: v6)))
            #expect(v6.description == Self.referenceText(v6))
            let v4 = IPv4Address(bits: UInt32(truncatingIfNeeded: generator.next()))
            #expect(try PrefixParser.parse(v4.description) == .v4(CIDR(host: v4)))
        }
    }

    /// RFC 5952 section 4 written the slow, obvious way (for addresses outside ::ffff:0:0/96).
    static func referenceText(_ address: IPv6Address) -> String {
        let groups = address.groups
        if groups[0..<5].allSatisfy({ $0 == 0 }) && groups[5] == 0xffff {
            return "::ffff:\(groups[6] >> 8).\(groups[6] & 0xff).\(groups[7] >> 8).\(groups[7] & 0xff)"
        }
        var best: Range<Int>? = nil
        for start in 0..<8 {
            var end = start
            while end < 8 && groups[end] == 0 { end += 1 }
            if end - start >= 2 && end - start > (best?.count ?? 0) { best = start..<end }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard let best else { return hex.joined(separator: ":") }
        return hex[..<best.lowerBound].joined(separator: ":") + "::" + hex[best.upperBound...].joined(separator: ":")
    }
}
