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
        ("::", "::/128"), ("::/0", "::/0"), ("2001:DB8::/32", "2001:db8::/32"), ("::ffff:1.2.3.4", "::ffff:102:304/128"),
        ("1:0:0:0:0:0:0:8", "1::8/128"), ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0/128"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1/128"), ("::1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7/128"),
    ])
    func accepts(_ text: String, _ canonical: String) throws {
        #expect(try PrefixParser.parse(text).description == canonical)
    }
}
