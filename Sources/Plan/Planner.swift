import Prefix
import Ruleset

/// Compares the desired table with what the kernel holds and lists the smallest set of
/// changes that makes them equal.
///
/// Pure: no kernel access. Userdata (the table's digest, rule comments) is not part of a
/// ruleset's meaning and is never a change.
public enum Planner {
    /// The plan that turns `actual` (nil: no migfw table in the kernel) into `desired`.
    public static func plan(desired: Table, actual: Table?) -> RulesetPlan {
        guard let actual else {
            return RulesetPlan(desired: desired, tableMissing: true,
                               sets: desired.sets.map { .add($0) },
                               chains: desired.chains.map { .add($0) },
                               unexpectedAddresses: [])
        }
        let (sets, replacedSets, unexpected) = planSets(desired: desired.sets, actual: actual.sets)
        let chains = planChains(desired: desired.chains, actual: actual.chains, replacedSets: replacedSets)
        return RulesetPlan(desired: desired, tableMissing: false, sets: sets, chains: chains,
                           unexpectedAddresses: unexpected)
    }

    private static func planSets(desired: [NamedSet], actual: [NamedSet])
        -> ([SetChange], Set<String>, [UnexpectedAddresses]) {
        var changes: [SetChange] = []
        var replaced = Set<String>()
        var unexpected: [UnexpectedAddresses] = []
        let actualByName = Dictionary(actual.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for want in desired {
            guard let have = actualByName[want.name] else {
                changes.append(.add(want))
                continue
            }
            let delta = SortedDelta.delta(desired: want.elements, actual: have.elements)
            // Sets migfw does not model have no delta; equal ones are no change.
            if delta == nil && want.elements == have.elements && want.flags == have.flags { continue }
            if want.flags != have.flags || want.keyType != have.keyType || delta == nil {
                changes.append(.replace(old: have, new: want))
                replaced.insert(want.name)
                if let extra = addressesOnlyIn(have.elements, notIn: want.elements) {
                    unexpected.append(UnexpectedAddresses(setName: want.name, addresses: extra))
                }
            } else if let (added, removed) = delta, added.count + removed.count > 0 {
                changes.append(.elements(ElementDelta(setName: want.name, removed: removed, added: added)))
                // Every address the kernel matches and the policy does not lies in an element
                // that is not desired, so only the removed elements need checking.
                if let extra = addressesOnlyIn(removed, notIn: want.elements) {
                    unexpected.append(UnexpectedAddresses(setName: want.name, addresses: extra))
                }
            }
        }
        let desiredNames = Set(desired.map(\.name))
        for have in actual where !desiredNames.contains(have.name) {
            changes.append(.remove(have))
            replaced.insert(have.name)
        }
        return (changes, replaced, unexpected)
    }

    /// Addresses `actual` matches and `desired` does not, for address sets of one family.
    private static func addressesOnlyIn(_ actual: SetElements, notIn desired: SetElements) -> SetElements? {
        switch (actual, desired) {
        case (.ipv4(let have), .ipv4(let want)):
            let extra = Intervals.subtract(Intervals.union(have), Intervals.union(want))
            return extra.isEmpty ? nil : .ipv4(extra)
        case (.ipv6(let have), .ipv6(let want)):
            let extra = Intervals.subtract(Intervals.union(have), Intervals.union(want))
            return extra.isEmpty ? nil : .ipv6(extra)
        default:
            return nil
        }
    }

    private static func planChains(desired: [Chain], actual: [Chain], replacedSets: Set<String>) -> [ChainChange] {
        var changes: [ChainChange] = []
        let actualByName = Dictionary(actual.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for want in desired {
            guard let have = actualByName[want.name] else {
                changes.append(.add(want))
                continue
            }
            if let reason = hookDifference(want.base, have.base) {
                changes.append(.replace(old: have, new: want, reason: reason))
                continue
            }
            var update = ChainUpdate(name: want.name)
            if let from = have.base?.policy, let to = want.base?.policy, from != to {
                update.policy = PolicyChange(from: from, to: to)
            }
            if !sameRules(want.rules, have.rules) {
                update.rules = RulesReplacement(old: have.rules, new: want.rules)
            } else if let set = lookedUpSets(want.rules).first(where: replacedSets.contains) {
                // The set is deleted and re-created in the batch; the kernel refuses to
                // delete a set a rule still uses, so the rules go and come back with it.
                update.rules = RulesReplacement(old: have.rules, new: want.rules,
                                                reason: "set \(set) is re-created")
            }
            if update.policy != nil || update.rules != nil { changes.append(.update(update)) }
        }
        let desiredNames = Set(desired.map(\.name))
        for have in actual where !desiredNames.contains(have.name) {
            changes.append(.remove(have))
        }
        return changes
    }

    /// Why two chains cannot be the same kernel chain, or nil when only the policy may differ.
    private static func hookDifference(_ want: BaseChain?, _ have: BaseChain?) -> String? {
        switch (want, have) {
        case (nil, nil):
            return nil
        case (.some, nil):
            return "regular chain becomes a base chain"
        case (nil, .some):
            return "base chain becomes a regular chain"
        case (.some(let want), .some(let have)):
            var reasons: [String] = []
            if want.type != have.type { reasons.append("type \(have.type.rawValue) -> \(want.type.rawValue)") }
            if want.hook != have.hook { reasons.append("hook \(have.hook.rawValue) -> \(want.hook.rawValue)") }
            if want.priority != have.priority { reasons.append("priority \(have.priority) -> \(want.priority)") }
            return reasons.isEmpty ? nil : reasons.joined(separator: ", ")
        }
    }

    /// Rules compare by their expressions; a comment lives in userdata and is not a change.
    static func sameRules(_ a: [Rule], _ b: [Rule]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.expressions == $1.expressions }
    }

    private static func lookedUpSets(_ rules: [Rule]) -> [String] {
        rules.flatMap { rule in
            rule.expressions.compactMap { if case .lookup(let set, _, _) = $0 { set } else { nil } }
        }
    }
}
