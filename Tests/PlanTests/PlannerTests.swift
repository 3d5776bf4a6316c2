import Prefix
import Ruleset
import Testing
@testable import Plan

@Suite struct PlannerTests {
    let desired = Fixtures.table()

    @Test func identicalTablesNeedNothing() {
        let plan = Planner.plan(desired: desired, actual: desired)
        #expect(plan.isEmpty)
        #expect(plan.summary.changeCount == 0)
        #expect(plan.unexpectedAddresses.isEmpty)
    }

    @Test func userdataAndRuleCommentsAreNotChanges() {
        var actual = desired
        actual.userdata = Array("digest:abc".utf8)
        actual.chains[0].rules[4].comment = nil
        #expect(Planner.plan(desired: desired, actual: actual).isEmpty)
    }

    /// The refused-source sets are compared by definition only: a changed bound re-creates
    /// the set; equal definitions are no change, and no unexpected address is ever reported.
    @Test func dynamicSetsAreComparedByDefinition() {
        var withRefused = desired
        withRefused.sets += [NamedSet.refused(ipv6: false), NamedSet.refused(ipv6: true)]
        #expect(Planner.plan(desired: withRefused, actual: withRefused).isEmpty)
        var smaller = withRefused
        smaller.sets[smaller.sets.count - 2].size = 16
        var noCounter = withRefused
        noCounter.sets[noCounter.sets.count - 1].elementCounter = false
        var shorter = withRefused
        shorter.sets[shorter.sets.count - 1].timeoutMilliseconds = 60_000
        for (actual, name) in [(smaller, "refused4"), (noCounter, "refused6"), (shorter, "refused6")] {
            let plan = Planner.plan(desired: withRefused, actual: actual)
            #expect(plan.sets.map(\.name) == [name])
            guard case .replace(let old, let new)? = plan.sets.first else { Issue.record("not a replace"); continue }
            #expect(old == actual.set(named: name) && new == withRefused.set(named: name))
            #expect(plan.unexpectedAddresses.isEmpty)
        }
        let missing = Planner.plan(desired: withRefused, actual: desired)
        #expect(missing.sets == [.add(NamedSet.refused(ipv6: false)), .add(NamedSet.refused(ipv6: true))])
    }

    @Test func missingTableCreatesEverything() {
        let plan = Planner.plan(desired: desired, actual: nil)
        #expect(plan.tableMissing)
        #expect(plan.sets == desired.sets.map { .add($0) })
        #expect(plan.chains == desired.chains.map { .add($0) })
        #expect(plan.summary.elementsAdded == 3)
        #expect(!plan.isElementsOnly)
    }

    @Test func rogueElementIsRemovedAndFlagged() {
        let actual = Fixtures.table(trusted4: ["10.66.0.7", "192.168.10.0/24", "192.168.20.11"])
        let plan = Planner.plan(desired: desired, actual: actual)
        #expect(plan.isElementsOnly)
        #expect(plan.sets == [.elements(ElementDelta(setName: "trusted4", removed: .ipv4([Fixtures.v4("10.66.0.7")]),
                                                      added: .ipv4([])))])
        #expect(plan.unexpectedAddresses == [UnexpectedAddresses(setName: "trusted4",
                                                                 addresses: .ipv4([Fixtures.v4("10.66.0.7")]))])
    }

    @Test func removedElementIsAddedBackWithoutAlarm() {
        let actual = Fixtures.table(trusted4: ["192.168.10.0/24"])
        let plan = Planner.plan(desired: desired, actual: actual)
        #expect(plan.sets == [.elements(ElementDelta(setName: "trusted4", removed: .ipv4([]),
                                                      added: .ipv4([Fixtures.v4("192.168.20.11")])))])
        #expect(plan.unexpectedAddresses.isEmpty)
        #expect(plan.chains.isEmpty)
    }

    @Test func flushedSetGetsEveryElementBack() {
        let actual = Fixtures.table(trusted6: [])
        let plan = Planner.plan(desired: desired, actual: actual)
        #expect(plan.sets == [.elements(ElementDelta(setName: "trusted6", removed: .ipv6([]),
                                                      added: .ipv6([Fixtures.v6("2001:db8:10::/64")])))])
        #expect(plan.isElementsOnly)
    }

    @Test func widerKernelIntervalIsSwappedAndOnlyTheExcessFlagged() {
        // The kernel holds 192.168.10.0/23 where the policy wants the /24: the element can
        // only be deleted whole, but only 192.168.11.0/24 is trusted without the policy.
        let actual = Fixtures.table(trusted4: ["192.168.10.0/23", "192.168.20.11"])
        let plan = Planner.plan(desired: desired, actual: actual)
        #expect(plan.sets == [.elements(ElementDelta(
            setName: "trusted4", removed: .ipv4([Fixtures.v4("192.168.10.0/23")]),
            added: .ipv4([Fixtures.v4("192.168.10.0/24")])))])
        #expect(plan.unexpectedAddresses.first?.addresses == .ipv4([Fixtures.v4("192.168.11.0/24")]))
    }

    @Test func unsortedKernelDumpIsHandled() {
        var actual = desired
        actual.sets[0].elements = .ipv4([Fixtures.v4("192.168.20.11"), Fixtures.v4("192.168.10.0/24")])
        #expect(Planner.plan(desired: desired, actual: actual).isEmpty)
    }

    @Test func oneChangeIn100kIsOneElement() {
        var want = Fixtures.table()
        want.sets[0].elements = .ipv4(Fixtures.hosts(100_000))
        var have = want
        var elements = Fixtures.hosts(100_000)
        elements.remove(at: 54_321)
        elements.insert(AddressRange(lower: IPv4Address(bits: 0x0B00_0001), upper: IPv4Address(bits: 0x0B00_0001))!,
                        at: elements.count)
        have.sets[0].elements = .ipv4(elements)
        let plan = Planner.plan(desired: want, actual: have)
        #expect(plan.summary.elementsAdded == 1)
        #expect(plan.summary.elementsRemoved == 1)
        #expect(plan.isElementsOnly)
        guard case .elements(let delta) = plan.sets.first else { Issue.record("no delta"); return }
        #expect(delta.added == .ipv4([Fixtures.hosts(100_000)[54_321]]))
    }

    @Test func flagsChangeReplacesTheSetAndTheRulesThatUseIt() {
        var actual = desired
        actual.sets[0].flags = [.interval, .constant]
        let plan = Planner.plan(desired: desired, actual: actual)
        #expect(plan.sets == [.replace(old: actual.sets[0], new: desired.sets[0])])
        #expect(plan.chains.count == 1)
        guard case .update(let update) = plan.chains.first else { Issue.record("no chain update"); return }
        #expect(update.rules?.reason == "set trusted4 is re-created")
        #expect(update.policy == nil)
    }

    @Test func keyTypeChangeReplacesTheSet() {
        var actual = desired
        actual.sets[1].elements = .ipv4([Fixtures.v4("10.0.0.1")])
        let plan = Planner.plan(desired: desired, actual: actual)
        #expect(plan.sets == [.replace(old: actual.sets[1], new: desired.sets[1])])
        #expect(plan.summary.setsReplaced == 1)
    }

    @Test func missingAndExtraSets() {
        var actual = desired
        actual.sets.removeLast()
        actual.sets.append(NamedSet(name: "rogue", elements: .ipv4([Fixtures.v4("10.1.2.3")])))
        let plan = Planner.plan(desired: desired, actual: actual)
        #expect(plan.sets == [.add(desired.sets[1]), .remove(actual.sets[1])])
    }

    @Test func policyChangeIsAnInPlaceUpdate() {
        let actual = Fixtures.table(policy: .drop)
        let plan = Planner.plan(desired: desired, actual: actual)
        #expect(plan.chains == [.update(ChainUpdate(name: "input", policy: PolicyChange(from: .drop, to: .accept)))])
        #expect(plan.sets.isEmpty)
    }

    @Test func flushedChainGetsItsRulesBack() {
        var actual = desired
        actual.chains[0].rules = []
        let plan = Planner.plan(desired: desired, actual: actual)
        #expect(plan.chains == [.update(ChainUpdate(name: "input",
                                                    rules: RulesReplacement(old: [], new: desired.chains[0].rules)))])
    }

    @Test func deletedRuleReplacesTheRules() {
        var actual = desired
        actual.chains[0].rules.remove(at: 1)
        let plan = Planner.plan(desired: desired, actual: actual)
        guard case .update(let update) = plan.chains.first else { Issue.record("no update"); return }
        #expect(update.rules?.old == actual.chains[0].rules)
        #expect(update.rules?.new == desired.chains[0].rules)
    }

    @Test func hookOrPriorityChangeReplacesTheChain() {
        var actual = desired
        actual.chains[0].base?.priority = -10
        var plan = Planner.plan(desired: desired, actual: actual)
        #expect(plan.chains == [.replace(old: actual.chains[0], new: desired.chains[0], reason: "priority -10 -> 0")])
        actual = desired
        actual.chains[0].base = nil
        plan = Planner.plan(desired: desired, actual: actual)
        #expect(plan.summary.chainsReplaced == 1)
    }

    @Test func missingAndExtraChains() {
        var actual = desired
        actual.chains = [Chain(name: "sneaky", rules: [Rule([.verdict(.accept)])])]
        let plan = Planner.plan(desired: desired, actual: actual)
        #expect(plan.chains == [.add(desired.chains[0]), .remove(actual.chains[0])])
        #expect(plan.summary.chainsAdded == 1 && plan.summary.chainsRemoved == 1)
    }

    @Test func elementChangesNeverTouchChains() {
        let actual = Fixtures.table(trusted4: ["192.168.10.0/24", "192.168.20.12"], trusted6: [])
        let plan = Planner.plan(desired: desired, actual: actual)
        #expect(plan.isElementsOnly)
        #expect(plan.chains.isEmpty)
        #expect(plan.summary.elementsAdded == 2 && plan.summary.elementsRemoved == 1)
    }
}

@Suite struct UncoveredAddressTests {
    @Test func matchesTheFullComputationOnSortedAndUnsortedCovers() {
        let cover = Fixtures.hosts(1000)   // every other address from 10.0.0.0
        let ranges = [
            AddressRange(lower: IPv4Address(bits: 0x0A00_0000), upper: IPv4Address(bits: 0x0A00_0004))!,   // 3 covered, 2 not
            AddressRange(lower: IPv4Address(bits: 0x0B00_0000), upper: IPv4Address(bits: 0x0B00_0000))!,   // far outside
            AddressRange(lower: IPv4Address(bits: 0x0A00_07CE), upper: IPv4Address(bits: 0x0A00_07D5))!,   // the cover's end
        ]
        let expected = Intervals.subtract(Intervals.union(ranges), Intervals.union(cover))
        #expect(Planner.uncovered(ranges, by: cover) == expected)
        #expect(Planner.uncovered(ranges, by: cover.reversed()) == expected)
        #expect(expected.count == 2 + 1 + 1)   // 1 and 3; 11.0.0.0; 1999-2005 after the last host
    }
}

/// ``RulesetPlan/withdrawing(lastApplied:)``: only addresses migfw never applied stay flagged.
@Suite struct WithdrawnAddressTests {
    static func v4(_ texts: [String]) -> SetElements {
        .ipv4(texts.map { text in
            let cidr = try! PrefixParser.parse(text)
            guard case .v4(let prefix) = cidr else { fatalError() }
            return prefix.range
        })
    }

    static func table(_ trusted: [String]) -> Table {
        Table(sets: [NamedSet(name: NamedSet.trusted4, elements: v4(trusted))], chains: [])
    }

    @Test func addressesMigfwAppliedAreNotFlagged() {
        let desired = Self.table(["10.1.0.0/24"])
        let kernel = Self.table(["10.1.0.0/24", "10.2.0.0/24", "10.66.0.7/32"])
        let plan = Planner.plan(desired: desired, actual: kernel)
        #expect(plan.unexpectedAddresses.map(\.addresses) == [Self.v4(["10.2.0.0/24", "10.66.0.7/32"])])
        let lastApplied = Self.table(["10.1.0.0/24", "10.2.0.0/24"]).sets
        let withdrawn = plan.withdrawing(lastApplied: lastApplied)
        #expect(withdrawn.unexpectedAddresses.map(\.addresses) == [Self.v4(["10.66.0.7/32"])])
        // The element deltas are untouched: both are still removed.
        #expect(withdrawn.sets == plan.sets)
        // Everything applied before: nothing is flagged.
        let all = plan.withdrawing(lastApplied: kernel.sets)
        #expect(all.unexpectedAddresses.isEmpty)
    }

    @Test func partlyAppliedRangeKeepsTheRest() {
        let plan = Planner.plan(desired: Self.table([]), actual: Self.table(["10.2.0.0/23"]))
        let withdrawn = plan.withdrawing(lastApplied: Self.table(["10.2.0.0/24"]).sets)
        #expect(withdrawn.unexpectedAddresses.map(\.addresses) == [Self.v4(["10.2.1.0/24"])])
    }
}
