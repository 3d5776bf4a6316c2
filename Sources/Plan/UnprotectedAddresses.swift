import Ruleset

extension RulesetPlan {
    /// For a gateway's protected sets (``NamedSet/protected4``, ``NamedSet/protected6``):
    /// the addresses the policy protects that the kernel's set no longer holds, so their
    /// migration ports are open to everyone. Addresses migfw never applied (a policy that
    /// just added them) are not flagged when `lastApplied` (migfw's last commit) is known.
    public func flaggingUnprotected(actual: Table?, lastApplied: [NamedSet]?) -> RulesetPlan {
        guard let actual else { return self }
        var plan = self
        plan.unprotectedAddresses = desired.sets.compactMap { want in
            guard want.name == NamedSet.protected4 || want.name == NamedSet.protected6,
                  let have = actual.set(named: want.name), !have.catchAll,
                  var missing = Planner.addressesOnlyIn(want.elements, notIn: have.elements) else { return nil }
            if let lastApplied, let applied = lastApplied.first(where: { $0.name == want.name }) {
                // Only what migfw had applied: the rest is news of this policy, not tampering.
                if let neverApplied = Planner.addressesOnlyIn(missing, notIn: applied.elements) {
                    guard let gone = Planner.addressesOnlyIn(missing, notIn: neverApplied) else { return nil }
                    missing = gone
                }
            }
            return UnexpectedAddresses(setName: want.name, addresses: missing)
        }
        return plan
    }
}
