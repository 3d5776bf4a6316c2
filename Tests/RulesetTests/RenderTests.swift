import Policy
import Prefix
import Ruleset
import Testing

@Suite struct RenderTests {
    @Test func debugFormMatchesLibnftnl() {
        // Lines copied from `nft --debug=netlink` output for the same rules.
        #expect(NftDebug.render(.cmp(.neq, sreg: .reg1, data: Array("mig0".utf8) + [UInt8](repeating: 0, count: 12)))
            == "[ cmp neq reg 1 0x3067696d 0x00000000 0x00000000 0x00000000 ]")
        #expect(NftDebug.render(.cmp(.eq, sreg: .reg1, data: [0, 22])) == "[ cmp eq reg 1 0x00001600 ]")
        #expect(NftDebug.render(.payload(.network, offset: 12, length: 4, dreg: .reg1))
            == "[ payload load 4b @ network header + 12 => reg 1 ]")
        #expect(NftDebug.render(.bitwise(sreg: .reg1, dreg: .reg1, length: 4, mask: [6, 0, 0, 0], xor: [0, 0, 0, 0]))
            == "[ bitwise reg 1 = ( reg 1 & 0x00000006 ) ^ 0x00000000 ]")
        #expect(NftDebug.render(.limit(rate: 10, unitSeconds: 1, burst: 5, inverted: false))
            == "[ limit rate 10/second burst 5 type packets flags 0x0 ]")
        #expect(NftDebug.render(.log(prefix: "migfw drop: ", level: nil)) == "[ log prefix migfw drop:  ]")
        #expect(NftDebug.render(.log(prefix: nil, level: nil)) == "[ log ]")
        #expect(NftDebug.render(.lookup(set: "s4", sreg: .reg1, inverted: true)) == "[ lookup reg 1 set s4 0x1 ]")
        #expect(NftDebug.render(.range(.neq, sreg: .reg1, from: [0, 100], to: [0, 200]))
            == "[ range neq reg 1 0x00006400 0x0000c800 ]")
        #expect(NftDebug.render(.verdict(.jump("foo"))) == "[ immediate reg 0 jump -> foo ]")
        #expect(NftDebug.render(.counter) == "[ counter pkts 0 bytes 0 ]")
    }

    @Test func unknownExpressionsFallBackToTheRawForm() {
        let rule = Rule([.meta(.mark, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: [0, 0, 0, 1]), .verdict(.drop)])
        #expect(RuleDecoder.statements(rule.expressions) == nil)
        #expect(NftText.render(rule: rule)
            == "[ meta load mark => reg 1 ] [ cmp eq reg 1 0x01000000 ] [ immediate reg 0 drop ]")
        #expect(throws: NftJSON.RenderError.self) {
            try NftJSON.render(Table(chains: [Chain(name: "c", rules: [rule])]))
        }
    }

    @Test func expressionsMigfwDoesNotModelRenderRaw() {
        let rule = Rule([.unknown(name: "quota", detail: "quota bytes 100 flags 0"), .verdict(.drop)])
        #expect(NftText.render(rule: rule) == "[ quota bytes 100 flags 0 ] [ immediate reg 0 drop ]")
    }

    @Test func aMissingDependencyIsNotHiddenByTheIdiomaticForm() {
        // `ip saddr` without its nfproto guard would print the same text but is another rule.
        let bare = Rule([.payload(.network, offset: 12, length: 4, dreg: .reg1),
                         .lookup(set: "trusted4", sreg: .reg1, inverted: false), .verdict(.accept)])
        #expect(RuleDecoder.statements(bare.expressions) == nil)
        #expect(NftText.render(rule: bare).hasPrefix("[ payload load 4b"))
    }

    @Test func everyCompiledRuleDecodesBackToItsStatements() {
        for policy in Fixtures.matrix {
            for chain in RulesetCompiler.compile(policy).chains {
                for rule in chain.rules {
                    let statements = RuleDecoder.statements(rule.expressions)
                    #expect(statements != nil, "\(policy.label) \(chain.name): \(NftDebug.render(rule.expressions))")
                    #expect(!NftText.render(rule: rule).hasPrefix("["))
                }
            }
        }
    }

    @Test func elementsUseHostPrefixOrRangeForm() {
        let set = NamedSet(name: "s", elements: .ipv4([
            AddressRange(lower: IPv4Address(0, 0, 0, 0), upper: IPv4Address(0, 0, 0, 0))!,
            AddressRange(lower: IPv4Address(10, 0, 0, 0), upper: IPv4Address(10, 255, 255, 255))!,
            AddressRange(lower: IPv4Address(11, 0, 0, 1), upper: IPv4Address(11, 0, 0, 5))!,
            AddressRange(lower: IPv4Address(12, 0, 0, 0), upper: IPv4Address(255, 255, 255, 255))!,
        ]))
        #expect(NftText.render(set: set).contains("0.0.0.0,\n\t\t\t10.0.0.0/8,\n\t\t\t11.0.0.1-11.0.0.5,\n\t\t\t12.0.0.0-255.255.255.255\n"))
        let all = NamedSet(name: "all", elements: .ipv6([AddressRange(lower: .min, upper: .max)!]))
        #expect(NftText.render(set: all).contains("\t\t\t::/0\n"))
        let ports = NamedSet(name: "p", elements: .ports([22...22, 49152...49215]))
        #expect(NftText.render(set: ports).contains("\t\t\t22,\n\t\t\t49152-49215\n"))
    }

    @Test func jsonRendersTheCompiledTable() throws {
        let json = try NftJSON.render(RulesetCompiler.compile(Fixtures.policy(egress: true, logDrops: true)))
        #expect(json.hasPrefix("{\"nftables\":[\n{\"metainfo\":{\"json_schema_version\":1}},\n"))
        #expect(json.contains("{\"set\":{\"family\":\"inet\",\"table\":\"migfw\",\"name\":\"trusted4\",\"type\":\"ipv4_addr\",\"flags\":[\"interval\"],\"elem\":[\n\"192.168.10.0\",\n{\"range\":[\"192.168.10.2\",\"192.168.10.255\"]}"))
        #expect(json.contains("{\"match\":{\"op\":\"in\",\"left\":{\"ct\":{\"key\":\"state\"}},\"right\":[\"established\",\"related\"]}}"))
        #expect(json.contains("{\"limit\":{\"rate\":10,\"burst\":5,\"per\":\"second\"}},{\"log\":{\"prefix\":\"migfw drop: \"}}"))
    }
}
