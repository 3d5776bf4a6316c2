import Testing
@testable import Prefix

@Suite struct ParserTests {
    @Test func seedArticlePrefixSuggestsBothFixes() throws {
        #expect(throws: PrefixParseError.self) { try PrefixParser.parse("192.168.1.0/16") }
        do {
            _ = try PrefixParser.parse("192.168.1.0/16")
        } catch {
            #expect(error.hint?.contains("192.168.0.0/16") == true)
            #expect(error.hint?.contains("192.168.1.0/24") == true)
        }
    }

    @Test(arguments: ["010.1.1.1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "fe80::1%eth0", "1.2.3.4/33",
                      "::/129", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::", "1.2.3.4/-1", "", "1.2.3.4/024",
                      "12345::", "::1.2.3", "1:2:3:4:5:6:7::1.2.3.4"])
    func rejects(_ text: String) {
        #expect(throws: PrefixParseError.self) { try PrefixParser.parse(text) }
    }

    @Test(arguments: [
        ("10.0.0.0/8", "10.0.0.0/8"), ("0.0.0.0/0", "0.0.0.0/0"), ("255.255.255.255", "255.255.255.255/32"),
        ("::", "::/128"), ("::/0", "::/0"), ("2001:DB8::/32", "2001:db8::/32"), ("::ffff:1.2.3.4", "::ffff:1.2.3.4/128"),
        ("1:0:0:0:0:0:0:8", "1::8/128"), ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0/128"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1/128"), ("::1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7/128"),
    ])
    func accepts(_ text: String, _ canonical: String) throws {
        #expect(try PrefixParser.parse(text).description == canonical)
    }

    @Test func lenientMasksHostBits() throws {
        #expect(try PrefixParser.parse("192.168.1.0/16", hostBits: .mask).description == "192.168.0.0/16")
        #expect(try PrefixParser.parse("2001:db8::1/32", hostBits: .mask).description == "2001:db8::/32")
        #expect(try PrefixParser.parse("10.0.0.1", hostBits: .mask).description == "10.0.0.1/32")
        // Masking does not make other mistakes acceptable.
        #expect(throws: PrefixParseError.self) { try PrefixParser.parse("10.0.0.256/8", hostBits: .mask) }
    }

    @Test(arguments: [("1.2.3.256", 6), ("1.2.03.4", 4), ("1.2.3.4/33", 8), ("1.2.3.x", 6), ("fe80::1%eth0", 7),
                      ("1::2::3", 5), ("2001:db8::12345", 10)])
    func errorOffsetPointsAtTheProblem(_ text: String, _ offset: Int) {
        do {
            _ = try PrefixParser.parse(text)
            Issue.record("\(text) parsed")
        } catch {
            #expect(error.offset == offset, "\(text)")
        }
    }

    @Test(arguments: ["::", "::1", "1::", "1:2:3:4:5:6:7:8", "1::8", "1:2:3:4:5:6::8", "::2:3:4:5:6:7:8",
                      "1:2:3:4:5:6:1.2.3.4", "::1.2.3.4", "1::1.2.3.4", "fFfF::"])
    func acceptsEveryRFC4291Form(_ text: String) throws {
        guard case .v6 = try PrefixParser.parse(text) else { Issue.record("\(text) not IPv6"); return }
    }

    @Test(arguments: ["1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", ":::", "1:::2", "::1:", "1:2:3:4:5:6:7:1.2.3.4",
                      "::1.2.3.4:5", "1.2.3.4::", "g::", "::-1", " ::1", "::1 "])
    func rejectsBadIPv6(_ text: String) {
        #expect(throws: PrefixParseError.self) { try PrefixParser.parse(text) }
    }
}

@Suite struct ParserHintTests {
    @Test func hostBitsHintOffersTheSingleHostWhenTheNarrowerPrefixIsWider() {
        do {
            _ = try PrefixParser.parse("10.0.0.2/8")
            Issue.record("10.0.0.2/8 parsed")
        } catch {
            #expect(error.hint == "did you mean 10.0.0.0/8 (the whole network), 10.0.0.2/31 (the smaller one) or 10.0.0.2/32 (the single host)?")
        }
        do {
            _ = try PrefixParser.parse("2001:db8::2/32")
            Issue.record("2001:db8::2/32 parsed")
        } catch {
            #expect(error.hint?.contains("2001:db8::2/128 (the single host)") == true)
        }
    }

    @Test func seedHintStaysTwoWay() {
        do {
            _ = try PrefixParser.parse("192.168.1.0/16")
            Issue.record("parsed")
        } catch {
            #expect(error.hint == "did you mean 192.168.0.0/16 (the whole network) or 192.168.1.0/24 (the smaller one)?")
        }
    }

    @Test func zeroPaddedLengthSaysLeadingZero() {
        do {
            _ = try PrefixParser.parse("10.0.0.0/08")
            Issue.record("parsed")
        } catch {
            #expect(error.reason == .lengthLeadingZero)
            #expect(error.message == "'10.0.0.0/08' has a prefix length with a leading zero")
            #expect(error.offset == 9)
        }
    }

    @Test(arguments: ["1.2.3", "1:2:3"])
    func truncatedAddressPointsAtItsStart(_ text: String) {
        do {
            _ = try PrefixParser.parse(text)
            Issue.record("parsed")
        } catch {
            #expect(error.reason == .malformedAddress)
            #expect(error.offset == 0)
        }
    }

    @Test func mappedPrefixesHaveAnIPv4Form() throws {
        #expect(try PrefixParser.parse("::ffff:10.0.0.0/104").ipv4Mapped?.description == "10.0.0.0/8")
        #expect(try PrefixParser.parse("::ffff:10.0.0.5").ipv4Mapped?.description == "10.0.0.5/32")
        #expect(try PrefixParser.parse("::/0").ipv4Mapped == nil)
        #expect(try PrefixParser.parse("2001:db8::/32").ipv4Mapped == nil)
        #expect(try PrefixParser.parse("10.0.0.0/8").ipv4Mapped == nil)
    }
}
