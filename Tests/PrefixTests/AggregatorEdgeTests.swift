import Testing
@testable import Prefix

/// The edge cases of the issue, each checked against the expected prefixes.
@Suite struct AggregatorEdgeTests {
    func aggregate(_ included: [String], excluding excluded: [String] = []) throws -> AggregatedPrefixes {
        var aggregator = PrefixAggregator()
        for text in included { aggregator.include(try PrefixParser.parse(text)) }
        for text in excluded { aggregator.exclude(try PrefixParser.parse(text)) }
        return aggregator.aggregate()
    }

    func cover(_ included: [String], excluding excluded: [String] = []) throws -> [String] {
        let result = try aggregate(included, excluding: excluded)
        return result.ipv4CIDRs.map(\.description) + result.ipv6CIDRs.map(\.description)
    }

    @Test func wholeIPv4SpaceSwallowsEverything() throws {
        #expect(try cover(["10.0.0.0/8", "0.0.0.0/0", "255.255.255.255"]) == ["0.0.0.0/0"])
        let result = try aggregate(["0.0.0.0/0"])
        #expect(result.ipv4.map(\.description) == ["0.0.0.0-255.255.255.255"])
    }

    @Test func wholeIPv6SpaceSwallowsEverything() throws {
        #expect(try cover(["2001:db8::/32", "::/0", "::1"]) == ["::/0"])
    }

    @Test func halvesOfTheWholeSpaceMerge() throws {
        #expect(try cover(["128.0.0.0/1", "0.0.0.0/1"]) == ["0.0.0.0/0"])
        #expect(try cover(["8000::/1", "::/1"]) == ["::/0"])
    }

    @Test func hostPrefixesKeepTheirLength() throws {
        #expect(try cover(["10.0.0.2", "fd00::1"]) == ["10.0.0.2/32", "fd00::1/128"])
        #expect(try cover(["10.0.0.2/32", "10.0.0.3/32"]) == ["10.0.0.2/31"])
    }

    @Test func lastIPv4Address() throws {
        #expect(try cover(["255.255.255.255"]) == ["255.255.255.255/32"])
        #expect(try cover(["255.255.255.254", "255.255.255.255"]) == ["255.255.255.254/31"])
        #expect(try cover(["255.255.255.0/24"], excluding: ["255.255.255.255"]).last == "255.255.255.254/32")
    }

    @Test func lastIPv6Address() throws {
        let last = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        #expect(try cover([last]) == ["\(last)/128"])
        #expect(try cover([last, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"]) == ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"])
        #expect(try cover(["::/0"], excluding: [last]).count == 128)
    }

    @Test func adjacentHalvesMerge() throws {
        #expect(try cover(["10.0.0.0/25", "10.0.0.128/25"]) == ["10.0.0.0/24"])
        #expect(try cover(["2001:db8::/33", "2001:db8:8000::/33"]) == ["2001:db8::/32"])
        // Adjacent but not halves of one prefix: one interval, two prefixes.
        let result = try aggregate(["10.0.0.128/25", "10.0.1.0/24"])
        #expect(result.ipv4.count == 1)
        #expect(result.ipv4CIDRs.map(\.description) == ["10.0.0.128/25", "10.0.1.0/24"])
    }

    @Test func exclusionSplitsASlash8IntoManyPieces() throws {
        let pieces = try cover(["10.0.0.0/8"], excluding: ["10.1.2.3"])
        // One hole at a host: one prefix per bit below /8.
        #expect(pieces.count == 24)
        #expect(pieces.first == "10.0.0.0/16" && pieces.contains("10.1.2.2/32") && pieces.last == "10.128.0.0/9")
        #expect(!pieces.contains("10.1.2.3/32"))
        let result = try aggregate(["10.0.0.0/8"], excluding: ["10.1.2.3"])
        #expect(result.ipv4.map(\.description) == ["10.0.0.0-10.1.2.2", "10.1.2.4-10.255.255.255"])
        // Many holes: every other /24 of 10.0.0.0/16 removed leaves the other 128 /24s.
        let holes = (0..<128).map { "10.0.\($0 * 2).0/24" }
        #expect(try cover(["10.0.0.0/16"], excluding: holes).count == 128)
    }

    @Test func exclusionCanRemoveEverything() throws {
        #expect(try aggregate(["10.0.0.0/24", "10.0.1.0/24"], excluding: ["10.0.0.0/8"]).isEmpty)
        #expect(try aggregate(["2001:db8::/48"], excluding: ["::/0"]).isEmpty)
        #expect(try aggregate(["0.0.0.0/0"], excluding: ["0.0.0.0/1", "128.0.0.0/1"]).isEmpty)
        #expect(try aggregate([], excluding: ["10.0.0.0/8"]).isEmpty)
    }

    @Test func exclusionAtTheEdgesOfTheSpace() throws {
        #expect(try cover(["0.0.0.0/0"], excluding: ["0.0.0.0", "255.255.255.255"]).count == 62)
        let result = try aggregate(["0.0.0.0/0"], excluding: ["0.0.0.0", "255.255.255.255"])
        #expect(result.ipv4.map(\.description) == ["0.0.0.1-255.255.255.254"])
    }

    @Test func duplicatesCollapse() throws {
        #expect(try cover(Array(repeating: "192.0.2.0/24", count: 1000) + ["192.0.2.7"]) == ["192.0.2.0/24"])
        #expect(try cover(Array(repeating: "2001:db8::1", count: 300)) == ["2001:db8::1/128"])
    }

    @Test func ipv4MappedIPv6StaysIPv6() throws {
        let result = try aggregate(["::ffff:10.0.0.0/104", "10.0.0.0/8", "::ffff:0a00:0001"])
        #expect(result.ipv4CIDRs.map(\.description) == ["10.0.0.0/8"])
        #expect(result.ipv6CIDRs.map(\.description) == ["::ffff:10.0.0.0/104"])
        // Excluding the IPv4 prefix does not touch the mapped one.
        let excluded = try aggregate(["::ffff:10.0.0.0/104"], excluding: ["10.0.0.0/8"])
        #expect(excluded.ipv6CIDRs.map(\.description) == ["::ffff:10.0.0.0/104"])
    }

    @Test func ipv4ComesFirstThenIPv6AscendingInText() throws {
        let result = try aggregate(["fd00::/8", "192.0.2.0/24", "2001:db8::/32", "10.0.0.0/8"])
        #expect(String(decoding: result.rendered(as: .cidr), as: UTF8.self)
                == "10.0.0.0/8\n192.0.2.0/24\n2001:db8::/32\nfd00::/8\n")
        #expect(String(decoding: result.rendered(as: .range), as: UTF8.self)
                == "10.0.0.0-10.255.255.255\n192.0.2.0-192.0.2.255\n"
                 + "2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\nfd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n")
    }

    @Test func countsIncludeTheWholeSpace() throws {
        let text = String(decoding: try aggregate(["0.0.0.0/0", "::/0"]).rendered(as: .count), as: UTF8.self)
        #expect(text == "ipv4 prefixes=1 ranges=1 addresses=4294967296\n"
                      + "ipv6 prefixes=1 ranges=1 addresses=340282366920938463463374607431768211456\n")
        let small = String(decoding: try aggregate(["10.0.0.0/8"], excluding: ["10.1.2.3"]).rendered(as: .count), as: UTF8.self)
        #expect(small == "ipv4 prefixes=24 ranges=2 addresses=16777215\nipv6 prefixes=0 ranges=0 addresses=0\n")
    }

    @Test func chunkedRenderingEqualsWholeRendering() throws {
        let result = try aggregate((0..<500).map { "10.\($0 / 256).\($0 % 256).0/25" } + ["2001:db8::/64"])
        var pieces: [[UInt8]] = []
        result.render(as: .cidr, chunkSize: 100) { pieces.append($0) }
        #expect(pieces.count > 10)
        #expect(pieces.flatMap { $0 } == result.rendered(as: .cidr))
    }
}
