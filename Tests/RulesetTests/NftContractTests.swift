import Foundation
import Policy
import Prefix
@testable import Ruleset
import Testing
import TestSupport

/// The contract the netlink encoder relies on: for every profile and mode, `nft -f` of the
/// rendered text generates exactly the compiled expression lists (compared in nft's debug
/// form), and the JSON form loads into the same ruleset. Each test uses its own namespace.
@Suite(.enabled(if: KernelGate.available))
struct NftContractTests {
    @Test(arguments: Fixtures.matrix + Fixtures.gatewayMatrix)
    func nftGeneratesExactlyTheCompiledExpressions(policy: Policy) throws {
        let table = RulesetCompiler.compile(policy)
        let debug = try withNamespace(tag: "rsdbg") { namespace in
            try NftFile.load(NftText.render(table), in: namespace, flags: ["--debug=netlink"]).stdout
        }
        let generated = NftDebugOutput.rules(debug, table: table.name)
        for chain in table.chains {
            let expected = chain.rules.map { NftDebug.render($0.expressions) }
            #expect(generated[chain.name] ?? [] == expected, "\(policy.label), chain \(chain.name)")
        }
        #expect(Set(generated.keys) == Set(table.chains.map(\.name)))
    }

    @Test(arguments: Fixtures.matrix + Fixtures.gatewayMatrix)
    func jsonListsIdenticallyToText(policy: Policy) throws {
        let table = RulesetCompiler.compile(policy)
        let fromText = try withNamespace(tag: "rstxt") { namespace in
            try NftFile.load(NftText.render(table), in: namespace)
            return try namespace.exec(["nft", "list", "ruleset"]).stdout
        }
        let fromJSON = try withNamespace(tag: "rsjson") { namespace in
            try NftFile.load(NftJSON.render(table), in: namespace, flags: ["-j"])
            return try namespace.exec(["nft", "list", "ruleset"]).stdout
        }
        #expect(fromText.contains("table \(table.family.rawValue) migfw {"))
        #expect(fromText == fromJSON, "\(policy.label)")
    }

    /// `nft list` prints every gateway rule exactly as NftText writes it (counters aside).
    @Test(arguments: Fixtures.gatewayMatrix)
    func nftListsGatewayRulesAsRendered(policy: Policy) throws {
        let table = RulesetCompiler.compile(policy)
        let listed = try withNamespace(tag: "rsgw") { namespace in
            try NftFile.load(NftText.render(table), in: namespace)
            return try namespace.exec(["nft", "list", "chain", table.family.rawValue, "migfw", "forward"]).stdout
        }
        let rules = listed.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("table") && !$0.hasPrefix("chain") && !$0.hasPrefix("type") && $0 != "}" }
            .map { $0.replacingOccurrences(of: #"counter packets \d+ bytes \d+"#, with: "counter", options: .regularExpression) }
        #expect(rules == Fixtures.lines(table, "forward"), "\(policy.label)")
        let header = NftText.render(base: table.chains[0].base!, family: table.family)
        #expect(listed.contains(header), "\(policy.label): \(header)")
    }

    @Test func kernelListsTheCompiledSetContent() throws {
        let policy = Fixtures.policy(
            networks: ["10.0.0.0/8", "172.16.0.0/12", "2001:db8::/32", "fd00::/8"],
            hosts: ["192.168.1.1", "192.168.1.2", "192.168.1.7", "2001:db9::1"],
            exclude: ["10.1.2.0/24", "2001:db8:1::/48"])
        let table = RulesetCompiler.compile(policy)
        let listed = try withNamespace(tag: "rsset") { namespace in
            try NftFile.load(NftText.render(table), in: namespace)
            return try namespace.exec(["nft", "-j", "list", "table", "inet", "migfw"]).stdout
        }
        let kernelSets = try NftDebugOutput.setElements(json: listed)
        for set in table.sets {
            let ours = try NftDebugOutput.setElements(
                json: "{\"nftables\":[{\"set\":{\"name\":\"\(set.name)\",\"elem\":[\(set.jsonElementList)]}}]}")
            #expect(kernelSets[set.name] == ours[set.name], "set \(set.name)")
            #expect(ours[set.name]?.count == set.elements.count)
        }
    }

    @Test func hundredThousandIPv4IntervalsLoadAndListBack() throws {
        let table = Table(sets: [BigSets.ipv4Set(count: 100_000)])
        let listed = try withNamespace(tag: "rsbig") { namespace in
            try NftFile.load(NftText.render(table), in: namespace)
            return try namespace.exec(["nft", "-j", "list", "set", "inet", "migfw", "trusted4"]).stdout
        }
        let elements = try NftDebugOutput.setElements(json: listed)["trusted4"] ?? []
        #expect(elements.count == 100_000)
        let ours = try NftDebugOutput.setElements(
            json: "{\"nftables\":[{\"set\":{\"name\":\"trusted4\",\"elem\":[\(table.sets[0].jsonElementList)]}}]}")
        #expect(elements == ours["trusted4"])
    }
}

/// Writing rule text to a file and loading it with nft inside a namespace.
enum NftFile {
    @discardableResult
    static func load(_ text: String, in namespace: TestNamespace, flags: [String] = []) throws -> CommandResult {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("migfw-ruleset-\(UUID().uuidString).nft").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try namespace.exec(["nft"] + flags + ["-f", path])
    }
}

/// Reading nft's own output back.
enum NftDebugOutput {
    /// The rules `nft --debug=netlink` printed, per chain of `table`, each as its `[ ... ]` lines.
    static func rules(_ output: String, table: String) -> [String: [[String]]] {
        var rules: [String: [[String]]] = [:]
        var current: (chain: String, lines: [String])?
        func finish() {
            if let rule = current { rules[rule.chain, default: []].append(rule.lines) }
            current = nil
        }
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            let words = line.split(separator: " ")
            if words.count == 3, words[0] == "inet" || words[0] == "bridge", words[1] == table {
                finish()
                current = (String(words[2]), [])
            } else if line.hasPrefix("  [ "), current != nil {
                current!.lines.append(String(line.dropFirst(2)))
            } else {
                finish()
            }
        }
        finish()
        return rules
    }

    /// The elements of every set in an `nft -j` document, as comparable JSON values.
    static func setElements(json: String) throws -> [String: [NSObject]] {
        let document = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        var sets: [String: [NSObject]] = [:]
        for object in document["nftables"] as! [[String: Any]] {
            guard let set = object["set"] as? [String: Any], let name = set["name"] as? String else { continue }
            sets[name] = (set["elem"] as? [Any] ?? []).map { $0 as! NSObject }
        }
        return sets
    }
}

/// Large generated sets.
enum BigSets {
    /// `count` disjoint, non-adjacent IPv4 intervals: alternating /24s, hosts and odd ranges.
    static func ipv4Set(count: Int) -> NamedSet {
        let ranges = (0..<count).map { index -> AddressRange<IPv4Address> in
            let base = UInt32(0x0A00_0000) + UInt32(index) * 512
            switch index % 3 {
            case 0: return AddressRange(lower: IPv4Address(bits: base), upper: IPv4Address(bits: base + 255))!
            case 1: return AddressRange(lower: IPv4Address(bits: base + 7), upper: IPv4Address(bits: base + 7))!
            default: return AddressRange(lower: IPv4Address(bits: base + 3), upper: IPv4Address(bits: base + 300))!
            }
        }
        return NamedSet(name: NamedSet.trusted4, elements: .ipv4(ranges))
    }

    /// `count` disjoint IPv6 /64s and ranges.
    static func ipv6Set(count: Int) -> NamedSet {
        let ranges = (0..<count).map { index -> AddressRange<IPv6Address> in
            let base = UInt128(0x2001_0db8) << 96 | UInt128(index) << 65
            return index % 2 == 0
                ? AddressRange(lower: IPv6Address(bits: base), upper: IPv6Address(bits: base | UInt128(UInt64.max)))!
                : AddressRange(lower: IPv6Address(bits: base + 1), upper: IPv6Address(bits: base + 0x1234))!
        }
        return NamedSet(name: NamedSet.trusted6, elements: .ipv6(ranges))
    }
}

extension NamedSet {
    /// The elements as the inside of a JSON array.
    var jsonElementList: String { elements.jsonElements.joined(separator: ",") }
}
