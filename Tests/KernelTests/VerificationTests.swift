import Engine
import Foundation
import Netlink
import Prefix
import Ruleset
import Testing
import TestSupport

/// The read-back checks catch a kernel that does not hold the model.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"))
struct VerificationTests {
    @Test func elementLookupsFindAMissingOrChangedElement() throws {
        let ranges = randomIPv4Intervals(2_000, seed: 9)
        let table = try libvirtTable(ipv4: ranges)
        try withMigrationNamespace(tag: "verify") { namespace in
            try engineApply(table, namespace: namespace.name)
            let session = try NetlinkSession(namespace: namespace.name)
            let set = try #require(table.set(named: NamedSet.trusted4))
            #expect(try session.checkElements(set: set) == nil)
            #expect(try session.readElements(set: set) == set.elements)

            // Someone removes one interval behind migfw's back.
            let victim = ranges[1000]
            try namespace.exec(["nft", "delete", "element", "inet", "migfw", "trusted4", "{ \(victim.lower)-\(victim.upper) }"])
            let problem = try #require(try session.checkElements(set: set))
            #expect(problem.contains("trusted4"), "\(problem)")
            #expect(try session.readElements(set: set) != set.elements)
            // The full verification used by apply says so too.
            #expect(Verifier.difference(expected: table, actual: try #require(try session.readTable()).table) != nil)
        }
    }

    @Test func verifierNamesTheDifference() {
        let a = Table(sets: [NamedSet(name: "s", elements: .ports([1...2]))],
                      chains: [Chain(name: "input", rules: [Rule([.counter])])])
        var b = a
        b.sets[0].elements = .ports([1...3])
        #expect(Verifier.difference(expected: a, actual: b)?.contains("set s") == true)
        b = a
        b.chains[0].rules.append(Rule([.verdict(.drop)]))
        #expect(Verifier.difference(expected: a, actual: b)?.contains("chain input: 2 rules, expected 1") == true)
        #expect(Verifier.difference(expected: a, actual: a) == nil)
    }
}
