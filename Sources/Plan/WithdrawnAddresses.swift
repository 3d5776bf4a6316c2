import Ruleset

extension RulesetPlan {
    /// The plan with the addresses migfw itself last applied taken out of
    /// ``unexpectedAddresses``: `lastApplied` are the sets of migfw's own last commit (its
    /// state record). An address the kernel trusts that the policy no longer lists, and that
    /// migfw put there, was withdrawn from the policy by its author: it is still removed (the
    /// element deltas are unchanged), but it is not a possible intrusion. Only addresses
    /// migfw never applied stay flagged. A catch-all element is always flagged.
    public func withdrawing(lastApplied: [NamedSet]) -> RulesetPlan {
        guard !unexpectedAddresses.isEmpty else { return self }
        var plan = self
        plan.unexpectedAddresses = unexpectedAddresses.compactMap { unexpected in
            guard !unexpected.catchAll,
                  let applied = lastApplied.first(where: { $0.name == unexpected.setName }) else { return unexpected }
            // What is flagged minus what migfw applied (nil: nothing left).
            guard let foreign = Planner.addressesOnlyIn(unexpected.addresses, notIn: applied.elements) else { return nil }
            return UnexpectedAddresses(setName: unexpected.setName, addresses: foreign)
        }
        return plan
    }
}
