import Prefix
import Ruleset
import Testing
@testable import Plan

/// A dormant table and a catch-all element: kernel states the set/chain comparison alone
/// cannot see, which must still count as changes (review findings P1-1, P1-2).
@Suite struct TableStateTests {
    let desired = Fixtures.table()

    @Test func dormantTableIsAFlagChange() {
        var actual = desired
        actual.flags = [.dormant]
        let plan = Planner.plan(desired: desired, actual: actual)
        #expect(!plan.isEmpty)
        #expect(!plan.isElementsOnly)
        #expect(plan.tableFlags == TableFlagsChange(from: [.dormant], to: []))
        #expect(plan.tableFlags?.reactivates == true)
        #expect(plan.sets.isEmpty && plan.chains.isEmpty)
        #expect(plan.summary.changeCount == 1)
        let text = PlanRenderer(color: false, verbose: false).render(plan)
        #expect(text.contains("~ table inet migfw: flags dormant -> (none) (re-activated"))
        #expect(text.contains("Plan: table flags to change."))
        #expect(PlanJSON.render(plan).contains(#""table_flags":{"from":["dormant"],"to":[]}"#))
    }

    @Test func activeTableHasNoFlagChange() {
        let plan = Planner.plan(desired: desired, actual: desired)
        #expect(plan.tableFlags == nil)
        #expect(PlanJSON.render(plan).contains(#""table_flags":null"#))
    }

    @Test func catchAllReplacesTheSetAndTrustsEverything() throws {
        var actual = desired
        actual.sets[0].catchAll = true
        let plan = Planner.plan(desired: desired, actual: actual)
        #expect(plan.sets == [.replace(old: actual.sets[0], new: desired.sets[0])])
        #expect(!plan.isElementsOnly)
        // The rule looking the set up goes and comes back with it.
        #expect(plan.chains.count == 1)
        let unexpected = try #require(plan.unexpectedAddresses.first)
        #expect(plan.unexpectedAddresses.count == 1)
        #expect(unexpected.setName == NamedSet.trusted4)
        #expect(unexpected.catchAll)
        // Every address but the two trusted ranges.
        guard case .ipv4(let ranges) = unexpected.addresses else { Issue.record("not IPv4"); return }
        #expect(ranges.first?.lower == IPv4Address(0, 0, 0, 0))
        #expect(ranges.last?.upper == IPv4Address(255, 255, 255, 255))
        #expect(ranges.count == 3)
        #expect(!ranges.contains { $0.contains(IPv4Address(192, 168, 10, 5)) })
        #expect(ranges.contains { $0.contains(IPv4Address(10, 66, 0, 7)) })
        let text = PlanRenderer(color: false, verbose: false).render(plan)
        #expect(text.contains("with a catch-all element"))
        #expect(text.contains("- * (catch-all: matches every key)"))
        #expect(text.contains("! set trusted4 holds a catch-all element (*): it trusts every address"))
        #expect(PlanJSON.render(plan).contains(#""catch_all":true"#))
    }

    @Test func catchAllInAnEmptyTrustedSetTrustsTheWholeSpace() {
        var want = desired
        want.sets[1].elements = .ipv6([])
        var actual = want
        actual.sets[1].catchAll = true
        let plan = Planner.plan(desired: want, actual: actual)
        #expect(plan.unexpectedAddresses == [UnexpectedAddresses(
            setName: NamedSet.trusted6,
            addresses: .ipv6([AddressRange(lower: IPv6Address(bits: 0), upper: IPv6Address(bits: .max))!]),
            catchAll: true)])
    }

    @Test func catchAllInAPortSetIsReplacedWithoutAnAddressAlert() {
        let ports = NamedSet(name: "tcp_ports", elements: .ports([49152...49215]))
        var actual = ports
        actual.catchAll = true
        let plan = Planner.plan(desired: Table(sets: [ports]), actual: Table(sets: [actual]))
        #expect(plan.sets == [.replace(old: actual, new: ports)])
        #expect(plan.unexpectedAddresses.isEmpty)
    }
}
