import Testing
import TestSupport

@Suite(.enabled(if: KernelGate.available, "kernel tests need root"))
struct NamespaceSmokeTests {
    @Test func namespaceStartsWithEmptyRulesetAndIsDeleted() throws {
        let name = try withNamespace(tag: "smoke") { ns in
            let listing = try ns.ruleset()
            #expect(listing.isEmpty)
            return ns.name
        }
        let list = try run(["ip", "netns", "list"]).stdout
        #expect(!list.contains(name))
    }
}
