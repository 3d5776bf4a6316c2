import Prefix
import Ruleset

/// Renders a plan for people: `+`/`-`/`~` lines in the style of `terraform plan`, element
/// lists folded to a count unless verbose, and one summary line.
public struct PlanRenderer: Sendable {
    /// ANSI colours (the CLI turns them off for NO_COLOR or when stdout is not a tty).
    public var color: Bool
    /// List every element and rule instead of folding long lists.
    public var verbose: Bool
    /// How many elements a folded list shows before its count.
    public var foldLimit: Int

    public init(color: Bool, verbose: Bool, foldLimit: Int = 10) {
        self.color = color
        self.verbose = verbose
        self.foldLimit = foldLimit
    }

    /// The whole plan: one block per changed object, then the summary line. In sync, only
    /// the summary line.
    public func render(_ plan: RulesetPlan) -> String {
        var out: [String] = []
        let table = "table \(plan.desired.family.rawValue) \(plan.desired.name)"
        for family in plan.retiredTables {
            out.append(paint(.remove, "- table \(family.rawValue) \(plan.desired.name) (the policy's mode now puts migfw's rules in \(table))"))
        }
        if plan.tableMissing { out.append(paint(.add, "+ \(table)")) }
        if let flags = plan.tableFlags {
            let why = flags.reactivates ? " (re-activated: a dormant table hooks none of its chains)" : ""
            out.append(paint(.change, "~ \(table): flags \(flagsText(flags.from)) -> \(flagsText(flags.to))\(why)"))
        }
        for change in plan.sets { renderSet(change, into: &out) }
        for change in plan.chains { renderChain(change, into: &out) }
        for unexpected in plan.unexpectedAddresses {
            out.append("")
            if unexpected.catchAll {
                out.append(paint(.warn, "! set \(unexpected.setName) holds a catch-all element (*): it trusts every address "
                    + "(possible intrusion); those the policy does not:"))
            } else {
                out.append(paint(.warn, "! set \(unexpected.setName) trusts \(ElementText.grouped(unexpected.addresses.count)) "
                    + "address range(s) the policy does not (possible intrusion):"))
            }
            list(unexpected.addresses, mark: "!", kind: .warn, into: &out)
        }
        for unprotected in plan.unprotectedAddresses {
            out.append("")
            out.append(paint(.warn, "! set \(unprotected.setName) no longer protects \(ElementText.grouped(unprotected.addresses.count)) "
                + "address range(s) the policy protects: their migration ports are open to everyone (possible intrusion):"))
            list(unprotected.addresses, mark: "!", kind: .warn, into: &out)
        }
        if !out.isEmpty { out.append("") }
        out.append(summaryLine(plan, applied: false))
        return out.joined(separator: "\n") + "\n"
    }

    /// `Plan: 2 elements to add, 1 to remove, 1 chain to change.`; with `applied`, the past
    /// tense for what `apply` and `reconcile` did.
    public func summaryLine(_ plan: RulesetPlan, applied: Bool) -> String {
        let summary = plan.summary
        guard !plan.isEmpty else {
            let table = "table \(plan.desired.family.rawValue) \(plan.desired.name)"
            return applied ? "No changes: \(table) already matched the policy."
                : "No changes: \(table) matches the policy."
        }
        var parts: [String] = []
        func part(_ count: Int, _ noun: String, _ verb: String) {
            guard count > 0 else { return }
            let plural = count == 1 ? noun : noun + "s"
            parts.append(applied ? "\(ElementText.grouped(count)) \(plural) \(pastTense(verb))"
                : "\(ElementText.grouped(count)) \(plural) to \(verb)")
        }
        part(summary.tablesRetired, "table of another mode", "delete")
        if summary.tableCreated { parts.append(applied ? "table created" : "table to create") }
        if summary.tableFlagsChanged { parts.append(applied ? "table flags changed" : "table flags to change") }
        part(summary.elementsAdded, "element", "add")
        part(summary.elementsRemoved, "element", "remove")
        part(summary.setsAdded, "set", "add")
        part(summary.setsReplaced, "set", "replace")
        part(summary.setsRemoved, "set", "remove")
        part(summary.chainsAdded, "chain", "add")
        part(summary.chainsChanged, "chain", "change")
        part(summary.chainsReplaced, "chain", "replace")
        part(summary.chainsRemoved, "chain", "remove")
        return (applied ? "Applied: " : "Plan: ") + parts.joined(separator: ", ") + "."
    }

    private func pastTense(_ verb: String) -> String {
        switch verb {
        case "add": "added"
        case "remove": "removed"
        case "change": "changed"
        case "replace": "replaced"
        default: verb + "d"
        }
    }

    // MARK: - Sets

    private func renderSet(_ change: SetChange, into out: inout [String]) {
        switch change {
        case .add(let set):
            out.append(paint(.add, "+ set \(set.name) { \(definition(set)); \(count(set.elements.count, "element")) }"))
            list(set.elements, mark: "+", kind: .add, into: &out)
        case .remove(let set):
            out.append(paint(.remove, "- set \(set.name) { \(definition(set)); \(count(set.elements.count, "element")) }"))
            list(set.elements, mark: "-", kind: .remove, into: &out)
        case .replace(let old, let new):
            out.append(paint(.change, "-/+ set \(new.name) { \(definition(new)) } (was \(definition(old))"
                + "\(old.catchAll ? " with a catch-all element" : ""); re-created with \(count(new.elements.count, "element")))"))
            if old.catchAll { out.append(paint(.remove, "    - * (catch-all: matches every key)")) }
            list(old.elements, mark: "-", kind: .remove, into: &out)
            list(new.elements, mark: "+", kind: .add, into: &out)
        case .elements(let delta):
            var what: [String] = []
            if delta.added.count > 0 { what.append("\(count(delta.added.count, "element")) to add") }
            if delta.removed.count > 0 { what.append("\(count(delta.removed.count, "element")) to remove") }
            out.append(paint(.change, "~ set \(delta.setName): " + what.joined(separator: ", ")))
            list(delta.removed, mark: "-", kind: .remove, into: &out)
            list(delta.added, mark: "+", kind: .add, into: &out)
        }
    }

    private func flagsText(_ flags: TableFlags) -> String {
        flags.isEmpty ? "(none)" : flags.names.joined(separator: ",")
    }

    private func definition(_ set: NamedSet) -> String {
        let flags = ElementText.flagsText(set.flags)
        var text = "type \(set.keyType.rawValue)" + (flags.isEmpty ? "" : "; flags \(flags)")
        if let size = set.size { text += "; size \(size)" }
        if let timeout = set.timeoutMilliseconds { text += "; timeout \(timeout / 1000)s" }
        if set.elementCounter { text += "; counter" }
        return text
    }

    private func list(_ elements: SetElements, mark: String, kind: Kind, into out: inout [String]) {
        let shown = verbose ? elements.count : min(elements.count, foldLimit)
        for index in 0..<shown {
            out.append(paint(kind, "    \(mark) \(ElementText.text(elements, at: index))"))
        }
        if shown < elements.count {
            out.append("    … \(ElementText.grouped(elements.count - shown)) more (--verbose lists all)")
        }
    }

    // MARK: - Chains

    private func renderChain(_ change: ChainChange, into out: inout [String]) {
        switch change {
        case .add(let chain):
            out.append(paint(.add, "+ chain \(chain.name) { \(header(chain))\(count(chain.rules.count, "rule")) }"))
            rules(chain.rules, mark: "+", kind: .add, into: &out)
        case .remove(let chain):
            out.append(paint(.remove, "- chain \(chain.name) { \(header(chain))\(count(chain.rules.count, "rule")) }"))
            rules(chain.rules, mark: "-", kind: .remove, into: &out)
        case .replace(let old, let new, let reason):
            out.append(paint(.change, "-/+ chain \(new.name) { \(header(new))\(count(new.rules.count, "rule")) } "
                + "(re-created: \(reason))"))
            ruleDiff(old: old.rules, new: new.rules, into: &out)
        case .update(let update):
            if let policy = update.policy {
                out.append(paint(.change, "~ chain \(update.name): policy \(RuleText.verdictText(policy.from)) -> "
                    + "\(RuleText.verdictText(policy.to))"))
            }
            if let replacement = update.rules {
                let why = replacement.reason.map { ", \($0)" } ?? ""
                out.append(paint(.change, "~ chain \(update.name): rules replaced (\(replacement.old.count) -> "
                    + "\(replacement.new.count)\(why))"))
                ruleDiff(old: replacement.old, new: replacement.new, into: &out)
            }
        }
    }

    private func header(_ chain: Chain) -> String {
        guard let base = chain.base else { return "" }
        return "type \(base.type.rawValue) hook \(base.hook.rawValue) priority \(base.priority); "
            + "policy \(RuleText.verdictText(base.policy)); "
    }

    private func rules(_ rules: [Rule], mark: String, kind: Kind, into out: inout [String]) {
        for rule in rules { out.append(paint(kind, "    \(mark) \(RuleText.describe(rule))")) }
    }

    /// Old and new rules as a line diff (unchanged rules as context), so a deleted or
    /// edited rule stands out although the chain's rules are replaced as a unit.
    private func ruleDiff(old: [Rule], new: [Rule], into out: inout [String]) {
        for line in LineDiff.diff(old.map(RuleText.describe), new.map(RuleText.describe)) {
            switch line {
            case .same(let text): out.append("      \(text)")
            case .removed(let text): out.append(paint(.remove, "    - \(text)"))
            case .added(let text): out.append(paint(.add, "    + \(text)"))
            }
        }
    }

    // MARK: - Colour

    private enum Kind { case add, remove, change, warn }

    private func paint(_ kind: Kind, _ text: String) -> String {
        guard color else { return text }
        let code = switch kind {
        case .add: "32"
        case .remove: "31"
        case .change: "33"
        case .warn: "1;35"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }

    private func count(_ n: Int, _ noun: String) -> String {
        "\(ElementText.grouped(n)) \(n == 1 ? noun : noun + "s")"
    }
}

/// A minimal line diff (longest common subsequence) for short lists such as a chain's rules.
enum LineDiff {
    enum Line: Equatable { case same(String), removed(String), added(String) }

    static func diff(_ old: [String], _ new: [String]) -> [Line] {
        // Chains hold a handful of rules; beyond this the table would be large for no gain.
        guard old.count * new.count <= 250_000 else {
            return old.map(Line.removed) + new.map(Line.added)
        }
        var lcs = Array(repeating: Array(repeating: 0, count: new.count + 1), count: old.count + 1)
        for i in stride(from: old.count - 1, through: 0, by: -1) {
            for j in stride(from: new.count - 1, through: 0, by: -1) {
                lcs[i][j] = old[i] == new[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var lines: [Line] = []
        var i = 0, j = 0
        while i < old.count && j < new.count {
            if old[i] == new[j] {
                lines.append(.same(old[i])); i += 1; j += 1
            } else if lcs[i + 1][j] >= lcs[i][j + 1] {
                lines.append(.removed(old[i])); i += 1
            } else {
                lines.append(.added(new[j])); j += 1
            }
        }
        lines += old[i...].map(Line.removed) + new[j...].map(Line.added)
        return lines
    }
}
