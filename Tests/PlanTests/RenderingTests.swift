import Foundation
import Prefix
import Ruleset
import Testing
@testable import Plan

@Suite struct RenderingTests {
    let desired = Fixtures.table()
    let plain = PlanRenderer(color: false, verbose: false)

    @Test func inSyncIsOneLine() {
        let text = plain.render(Planner.plan(desired: desired, actual: desired))
        #expect(text == "No changes: table inet migfw matches the policy.\n")
    }

    @Test func elementDeltaShowsCIDRsAndSummary() {
        let actual = Fixtures.table(trusted4: ["10.66.0.7", "192.168.10.0/24"])
        let text = plain.render(Planner.plan(desired: desired, actual: actual))
        #expect(text.contains("~ set trusted4: 1 element to add, 1 element to remove"))
        #expect(text.contains("    - 10.66.0.7/32\n"))
        #expect(text.contains("    + 192.168.20.11/32\n"))
        #expect(text.contains("possible intrusion"))
        #expect(text.hasSuffix("Plan: 1 element to add, 1 element to remove.\n"))
        #expect(!text.contains("\u{1B}["))
    }

    @Test func unalignedIntervalShowsItsBoundsAndCIDRCount() {
        let range = AddressRange(lower: IPv4Address(10, 0, 0, 0), upper: IPv4Address(10, 0, 1, 127))!
        #expect(ElementText.text(.ipv4([range]), at: 0) == "10.0.0.0-10.0.1.127 (2 CIDRs)")
        #expect(ElementText.cidrs(.ipv4([range]), at: 0) == ["10.0.0.0/24", "10.0.1.0/25"])
    }

    /// A /24 minus its first address .1 (the router): .0 alone and .2-.255, seven CIDRs.
    static let ipv4Minus1: [AddressRange<IPv4Address>] = [
        AddressRange(lower: IPv4Address(192, 168, 10, 0), upper: IPv4Address(192, 168, 10, 0))!,
        AddressRange(lower: IPv4Address(192, 168, 10, 2), upper: IPv4Address(192, 168, 10, 255))!,
    ]
    /// A /64 minus ::1: ::0 alone and ::2 to the end of the /64, 63 CIDRs.
    static let ipv6Minus1: [AddressRange<IPv6Address>] = {
        let base: UInt128 = 0x2001_0db8_0010_0000 << 64
        return [
            AddressRange(lower: IPv6Address(bits: base), upper: IPv6Address(bits: base))!,
            AddressRange(lower: IPv6Address(bits: base + 2), upper: IPv6Address(bits: base + UInt128(UInt64.max)))!,
        ]
    }()

    @Test func aNetworkMinusOneAddressReadsAsTheAuthorWroteIt() {
        var want = desired
        want.sets[0].elements = .ipv4(Self.ipv4Minus1)
        want.sets[1].elements = .ipv6(Self.ipv6Minus1)
        let text = plain.render(Planner.plan(desired: want, actual: nil))
        #expect(text.contains("    + 192.168.10.0/32\n    + 192.168.10.2-192.168.10.255 (7 CIDRs)\n"), "\(text)")
        #expect(text.contains("    + 2001:db8:10::/128\n    + 2001:db8:10::2-2001:db8:10:0:ffff:ffff:ffff:ffff (63 CIDRs)\n"), "\(text)")
        #expect(!text.contains("192.168.10.2/31"))
    }

    @Test func jsonStaysExactCIDRs() throws {
        var want = desired
        want.sets[0].elements = .ipv4(Self.ipv4Minus1)
        want.sets[1].elements = .ipv6(Self.ipv6Minus1)
        let json = PlanJSON.render(Planner.plan(desired: want, actual: nil))
        #expect(json.contains("\"192.168.10.2/31\",\"192.168.10.4/30\",\"192.168.10.8/29\",\"192.168.10.16/28\",\"192.168.10.32/27\",\"192.168.10.64/26\",\"192.168.10.128/25\""), "\(json)")
        #expect(json.contains("\"2001:db8:10::2/127\"") && json.contains("\"2001:db8:10:0:8000::/65\""), "\(json)")
        #expect(!json.contains("CIDRs)"))
    }

    @Test func longListsOfIntervalsStillFold() {
        var want = desired
        // 25 intervals of two addresses each, none one prefix: 10.0.0.1-10.0.0.2, ...
        want.sets[0].elements = .ipv4((0..<UInt32(25)).map { index in
            AddressRange(lower: IPv4Address(bits: 0x0A00_0001 + 4 * index), upper: IPv4Address(bits: 0x0A00_0002 + 4 * index))!
        })
        let folded = plain.render(Planner.plan(desired: want, actual: desired))
        #expect(folded.contains("    + 10.0.0.1-10.0.0.2 (2 CIDRs)\n"))
        #expect(folded.contains("… 15 more (--verbose lists all)"))
    }

    @Test func longListsFoldUnlessVerbose() {
        var want = desired
        want.sets[0].elements = .ipv4(Fixtures.hosts(25))
        let plan = Planner.plan(desired: want, actual: desired)
        let folded = plain.render(plan)
        #expect(folded.contains("… 15 more (--verbose lists all)"))
        #expect(folded.components(separatedBy: "\n    + ").count - 1 == 10)
        let full = PlanRenderer(color: false, verbose: true).render(plan)
        #expect(!full.contains("more (--verbose"))
        #expect(full.components(separatedBy: "\n    + ").count - 1 == 25)
    }

    @Test func colourOnlyWhenAsked() {
        let plan = Planner.plan(desired: desired, actual: nil)
        #expect(PlanRenderer(color: true, verbose: false).render(plan).contains("\u{1B}[32m+ table inet migfw\u{1B}[0m"))
        #expect(!plain.render(plan).contains("\u{1B}"))
    }

    @Test func missingTableSummary() {
        let text = plain.render(Planner.plan(desired: desired, actual: nil))
        #expect(text.hasPrefix("+ table inet migfw\n+ set trusted4 { type ipv4_addr; flags interval; 2 elements }"))
        #expect(text.hasSuffix("Plan: table to create, 3 elements to add, 2 sets to add, 1 chain to add.\n"))
        #expect(plain.summaryLine(Planner.plan(desired: desired, actual: nil), applied: true)
                    == "Applied: table created, 3 elements added, 2 sets added, 1 chain added.")
    }

    @Test func deletedRuleStandsOutInTheRuleDiff() {
        var actual = desired
        actual.chains[0].rules.remove(at: 1)
        let text = plain.render(Planner.plan(desired: desired, actual: actual))
        #expect(text.contains("~ chain input: rules replaced (4 -> 5)"))
        #expect(text.contains("    + ct state established,related accept\n"))
        #expect(text.contains("      iifname != \"mig0\" return\n"))
        #expect(text.components(separatedBy: "\n    + ").count - 1 == 1)
        #expect(!text.contains("\n    - "))
    }

    @Test func policyChangeLine() {
        let text = plain.render(Planner.plan(desired: desired, actual: Fixtures.table(policy: .drop)))
        #expect(text.contains("~ chain input: policy drop -> accept\n"))
        #expect(text.hasSuffix("Plan: 1 chain to change.\n"))
    }

    @Test func rulesReadLikeNft() {
        #expect(RuleText.describe(Fixtures.trusted6Rule) == "ip6 saddr @trusted6 accept")
        #expect(RuleText.describe(Fixtures.dropRest) == "counter drop comment \"untrusted\"")
    }
}

@Suite struct PlanJSONTests {
    func decode(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func inSyncDocument() throws {
        let table = Fixtures.table()
        let json = try decode(PlanJSON.render(Planner.plan(desired: table, actual: table)))
        #expect(json["format_version"] as? Int == 1)
        #expect(json["in_sync"] as? Bool == true)
        #expect((json["sets"] as? [Any])?.isEmpty == true)
        #expect((json["summary"] as? [String: Int])?["changes"] == 0)
    }

    @Test func elementDeltaDocument() throws {
        let desired = Fixtures.table()
        let actual = Fixtures.table(trusted4: ["10.66.0.7", "192.168.10.0/24"])
        let text = PlanJSON.render(Planner.plan(desired: desired, actual: actual))
        #expect(text.contains("\"cidrs\":[\"10.66.0.7/32\"]"))   // slashes are not escaped
        let json = try decode(text)
        #expect(json["in_sync"] as? Bool == false)
        let sets = try #require(json["sets"] as? [[String: Any]])
        #expect(sets.count == 1)
        #expect(sets[0]["name"] as? String == "trusted4")
        #expect(sets[0]["action"] as? String == "update")
        let removed = try #require(sets[0]["remove"] as? [[String: Any]])
        #expect(removed.first?["first"] as? String == "10.66.0.7")
        #expect(removed.first?["last"] as? String == "10.66.0.7")
        let unexpected = try #require(json["unexpected_addresses"] as? [[String: Any]])
        #expect(unexpected.first?["set"] as? String == "trusted4")
        let summary = try #require(json["summary"] as? [String: Int])
        #expect(summary["elements_to_add"] == 1 && summary["elements_to_remove"] == 1 && summary["changes"] == 2)
    }

    @Test func chainDocument() throws {
        var actual = Fixtures.table(policy: .drop)
        actual.chains[0].rules.removeLast()
        let json = try decode(PlanJSON.render(Planner.plan(desired: Fixtures.table(), actual: actual)))
        let chains = try #require(json["chains"] as? [[String: Any]])
        #expect(chains.first?["action"] as? String == "update")
        #expect((chains.first?["policy"] as? [String: String])?["to"] == "accept")
        let rules = try #require(chains.first?["rules"] as? [String: [String]])
        #expect(rules["after"]?.count == 5 && rules["before"]?.count == 4)
    }

    @Test func missingTableDocument() throws {
        let json = try decode(PlanJSON.render(Planner.plan(desired: Fixtures.table(), actual: nil)))
        #expect(json["table_missing"] as? Bool == true)
        let chains = try #require(json["chains"] as? [[String: Any]])
        #expect((chains.first?["base"] as? [String: Any])?["hook"] as? String == "input")
        let sets = try #require(json["sets"] as? [[String: Any]])
        #expect(sets.map { $0["action"] as? String } == ["create", "create"])
        #expect(sets.first?["flags"] as? [String] == ["interval"])
    }

    @Test func outputIsStable() {
        let plan = Planner.plan(desired: Fixtures.table(), actual: Fixtures.table(trusted6: []))
        #expect(PlanJSON.render(plan) == PlanJSON.render(plan))
        #expect(PlanJSON.render(plan).hasPrefix("{\"format_version\":1,\"table\":{\"family\":\"inet\",\"name\":\"migfw\"},\"in_sync\":false"))
    }
}
