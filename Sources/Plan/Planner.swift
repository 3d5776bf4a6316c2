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
        let flags = actual.flags == desired.flags ? nil : TableFlagsChange(from: actual.flags, to: desired.flags)
        return RulesetPlan(desired: desired, tableMissing: false, sets: sets, chains: chains,
                           unexpectedAddresses: unexpected, tableFlags: flags)
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
            // An address a gateway's protected set holds beyond the policy filters more, not
            // less: it is drift, never a possible intrusion.
            // A dynamic set's elements are runtime state, never trusted addresses.
            let flagsExtra = want.name != NamedSet.protected4 && want.name != NamedSet.protected6 && !want.isDynamic
            // Sets migfw does not model have no delta; equal ones are no change.
            if delta == nil && want == have { continue }
            // A catch-all element has no key, so no element delta can delete it: re-create.
            // A dynamic set's elements are runtime state (never in either model): only its
            // definition (flags, size, timeout, per-element counter) can differ.
            let definitionChanged = want.size != have.size || want.timeoutMilliseconds != have.timeoutMilliseconds
                || want.elementCounter != have.elementCounter
            if want.flags != have.flags || want.keyType != have.keyType || delta == nil || want.catchAll != have.catchAll
                || definitionChanged {
                changes.append(.replace(old: have, new: want))
                replaced.insert(want.name)
                if !flagsExtra {
                    // repaired, not flagged (see above)
                } else if have.catchAll && !want.catchAll, let everything = allAddresses(like: have.elements),
                   let extra = addressesOnlyIn(everything, notIn: want.elements) {
                    // It matches every address: all those the policy does not trust are trusted.
                    unexpected.append(UnexpectedAddresses(setName: want.name, addresses: extra, catchAll: true))
                } else if let extra = addressesOnlyIn(have.elements, notIn: want.elements) {
                    unexpected.append(UnexpectedAddresses(setName: want.name, addresses: extra))
                }
            } else if let (added, removed) = delta, added.count + removed.count > 0 {
                changes.append(.elements(ElementDelta(setName: want.name, removed: removed, added: added)))
                // Every address the kernel matches and the policy does not lies in an element
                // that is not desired, so only the removed elements need checking.
                if flagsExtra, let extra = addressesOnlyIn(removed, notIn: want.elements) {
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

    /// The whole address space of an address set's family (nil for other sets).
    private static func allAddresses(like elements: SetElements) -> SetElements? {
        switch elements {
        case .ipv4: .ipv4([AddressRange(lower: IPv4Address(bits: 0), upper: IPv4Address(bits: .max))!])
        case .ipv6: .ipv6([AddressRange(lower: IPv6Address(bits: 0), upper: IPv6Address(bits: .max))!])
        default: nil
        }
    }

    /// Addresses `actual` matches and `desired` does not, for address sets of one family.
    static func addressesOnlyIn(_ actual: SetElements, notIn desired: SetElements) -> SetElements? {
        switch (actual, desired) {
        case (.ipv4(let have), .ipv4(let want)):
            let extra = uncovered(have, by: want)
            return extra.isEmpty ? nil : .ipv4(extra)
        case (.ipv6(let have), .ipv6(let want)):
            let extra = uncovered(have, by: want)
            return extra.isEmpty ? nil : .ipv6(extra)
        default:
            return nil
        }
    }

    /// The addresses of `ranges` that no range of `cover` contains. `ranges` is usually a
    /// handful of removed elements and `cover` a 100k-element set: when `cover` is sorted and
    /// disjoint (as compiled sets are), only its ranges near each of `ranges` are looked at
    /// (binary search), instead of normalising all of it.
    static func uncovered<A: IPAddress>(_ ranges: [AddressRange<A>], by cover: [AddressRange<A>]) -> [AddressRange<A>] {
        let holes = Intervals.union(ranges)
        guard isSortedAndDisjoint(cover) else { return Intervals.subtract(holes, Intervals.union(cover)) }
        var relevant: [AddressRange<A>] = []
        for hole in holes {
            var low = 0, high = cover.count
            while low < high {   // the first cover range that ends at or after the hole's start
                let middle = (low + high) / 2
                if cover[middle].upper < hole.lower { low = middle + 1 } else { high = middle }
            }
            while low < cover.count && cover[low].lower <= hole.upper {
                relevant.append(cover[low])
                low += 1
            }
        }
        return Intervals.subtract(holes, Intervals.union(relevant))
    }

    private static func isSortedAndDisjoint<A: IPAddress>(_ ranges: [AddressRange<A>]) -> Bool {
        var index = 1
        while index < ranges.count {
            if ranges[index].lower <= ranges[index - 1].upper { return false }
            index += 1
        }
        return true
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
