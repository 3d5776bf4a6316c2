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

    /// A large set is looked up by several workers, each on its own socket with its own
    /// share of the elements: an interval missing from any share, or an end changed, is
    /// found; and the engine's full verification (which uses the lookups for a created set
    /// this large) fails on it.
    @Test(arguments: [0.1, 0.9]) func parallelLookupsFindAFaultInAnyShare(at position: Double) throws {
        let ranges = randomIPv4Intervals(60_000, seed: 11)
        let table = try libvirtTable(ipv4: ranges)
        let set = try #require(table.set(named: NamedSet.trusted4))
        #expect(set.elements.count * 2 * (set.keyType.keyLength + 20) > Verifier.dumpVerificationBytes,
                "the set must be large enough for the engine to verify it by lookups")
        try withMigrationNamespace(tag: "vpar") { namespace in
            let session = try NetlinkSession(namespace: namespace.name)
            // Created, not verified yet: the faults below come between the commit and the check.
            try engineApply(table, namespace: namespace.name, ApplyOptions(verification: Verification.none))
            #expect(try session.checkElements(set: set) == nil)
            let victim = ranges[Int(Double(ranges.count) * position)]
            try namespace.exec(["nft", "delete", "element", "inet", "migfw", "trusted4", "{ \(victim.lower)-\(victim.upper) }"])
            let problem = try #require(try session.checkElements(set: set))
            #expect(problem.contains("trusted4") && problem.contains("missing"), "\(problem)")
            var sent = table
            sent.userdata = RulesetDigest.userdata(for: table)
            #expect(throws: EngineError.self) { try Verifier.verify(sent, level: .full, created: true, session: session) }
        }
    }

    /// The refused-sources sets fill with packets at any time: a full verification of a
    /// plan (which dumps the sets) compares the policy's sets, never those runtime elements.
    @Test func fullVerificationIgnoresRefusedSources() throws {
        try withPlanLab(tag: "vdyn") { lab in
            #expect(try lab.run("apply").status == 0)
            try lab.nft("add", "element", "inet", "migfw", "refused4", "{ 6.6.6.6 }")
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            let applied = try lab.run("apply", ["--verify", "full"])
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(applied.stdout.contains("verified (full)"), "\(applied.stdout)")
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
