import Prefix
import Ruleset

/// Differences of sorted element lists by one linear merge.
///
/// Elements compare as whole values: two intervals are the same element only when both
/// bounds match. Inputs that are not sorted (a kernel dump may come in any order) are
/// sorted first; the check is linear, so sorted input costs nothing extra.
enum SortedDelta {
    /// `desired` minus `actual` (to add) and `actual` minus `desired` (to remove), both sorted.
    static func delta<T: Equatable>(
        desired: [T], actual: [T], by less: (T, T) -> Bool
    ) -> (added: [T], removed: [T]) {
        let want = sortedIfNeeded(desired, by: less)
        let have = sortedIfNeeded(actual, by: less)
        var added: [T] = [], removed: [T] = []
        var i = 0, j = 0
        while i < want.count && j < have.count {
            if want[i] == have[j] {
                i += 1
                j += 1
            } else if less(want[i], have[j]) {
                added.append(want[i])
                i += 1
            } else {
                removed.append(have[j])
                j += 1
            }
        }
        added.append(contentsOf: want[i...])
        removed.append(contentsOf: have[j...])
        return (added, removed)
    }

    static func sortedIfNeeded<T>(_ values: [T], by less: (T, T) -> Bool) -> [T] {
        var index = 1
        while index < values.count {
            if less(values[index], values[index - 1]) { return values.sorted(by: less) }
            index += 1
        }
        return values
    }

    /// The element delta between two contents of one key type; nil when they differ in type
    /// (the planner replaces the set then).
    static func delta(desired: SetElements, actual: SetElements) -> (added: SetElements, removed: SetElements)? {
        switch (desired, actual) {
        case (.ipv4(let want), .ipv4(let have)):
            let (added, removed) = delta(desired: want, actual: have, by: <)
            return (.ipv4(added), .ipv4(removed))
        case (.ipv6(let want), .ipv6(let have)):
            let (added, removed) = delta(desired: want, actual: have, by: <)
            return (.ipv6(added), .ipv6(removed))
        case (.ports(let want), .ports(let have)):
            let (added, removed) = delta(desired: want, actual: have, by: portLess)
            return (.ports(added), .ports(removed))
        default:
            return nil
        }
    }

    static func portLess(_ a: ClosedRange<UInt16>, _ b: ClosedRange<UInt16>) -> Bool {
        a.lowerBound != b.lowerBound ? a.lowerBound < b.lowerBound : a.upperBound < b.upperBound
    }
}
