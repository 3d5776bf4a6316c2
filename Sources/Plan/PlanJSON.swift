import Prefix
import Ruleset

/// The plan as JSON for scripts: `migfw plan --json`. Schema version 1, documented in the
/// docs/operations.md ("Plan JSON"); keys are written in a fixed order and never removed within a
/// version, so output is byte-stable for equal plans.
public enum PlanJSON {
    /// Bumped only on an incompatible change.
    public static let formatVersion = 1

    public static func render(_ plan: RulesetPlan) -> String {
        let summary = plan.summary
        let json = JSONWriter()
        json.object {
            json.key("format_version"); json.number(formatVersion)
            json.key("table")
            json.object {
                json.key("family"); json.string(plan.desired.family.rawValue)
                json.key("name"); json.string(plan.desired.name)
            }
            json.key("in_sync"); json.bool(plan.isEmpty)
            json.key("table_missing"); json.bool(plan.tableMissing)
            json.key("retired_tables"); json.array(plan.retiredTables) { json.string($0.rawValue) }
            json.key("table_flags")
            if let flags = plan.tableFlags {
                json.object {
                    json.key("from"); json.array(flags.from.names) { json.string($0) }
                    json.key("to"); json.array(flags.to.names) { json.string($0) }
                }
            } else {
                json.null()
            }
            json.key("summary")
            json.object {
                for (key, value) in [
                    ("elements_to_add", summary.elementsAdded), ("elements_to_remove", summary.elementsRemoved),
                    ("sets_to_add", summary.setsAdded), ("sets_to_replace", summary.setsReplaced),
                    ("sets_to_remove", summary.setsRemoved), ("chains_to_add", summary.chainsAdded),
                    ("chains_to_change", summary.chainsChanged), ("chains_to_replace", summary.chainsReplaced),
                    ("chains_to_remove", summary.chainsRemoved), ("changes", summary.changeCount),
                ] {
                    json.key(key); json.number(value)
                }
            }
            json.key("sets")
            json.array(plan.sets) { setChange($0, json) }
            json.key("chains")
            json.array(plan.chains) { chainChange($0, json) }
            json.key("unexpected_addresses")
            json.array(plan.unexpectedAddresses) { unexpected in
                json.object {
                    json.key("set"); json.string(unexpected.setName)
                    json.key("addresses"); elements(unexpected.addresses, json)
                    json.key("catch_all"); json.bool(unexpected.catchAll)
                }
            }
            json.key("unprotected_addresses")
            json.array(plan.unprotectedAddresses) { unprotected in
                json.object {
                    json.key("set"); json.string(unprotected.setName)
                    json.key("addresses"); elements(unprotected.addresses, json)
                }
            }
        }
        return json.output + "\n"
    }

    private static func setChange(_ change: SetChange, _ json: JSONWriter) {
        json.object {
            json.key("name"); json.string(change.name)
            let empty = SetElements.ipv4([])
            let (action, set, previous, add, remove): (String, NamedSet, NamedSet?, SetElements, SetElements) =
                switch change {
                case .add(let set): ("create", set, nil, set.elements, empty)
                case .remove(let set): ("delete", set, nil, empty, set.elements)
                case .replace(let old, let new): ("replace", new, old, new.elements, old.elements)
                case .elements(let delta):
                    ("update", NamedSet(name: delta.setName, elements: delta.added), nil, delta.added, delta.removed)
                }
            json.key("action"); json.string(action)
            if case .elements = change {
                json.key("type"); json.string(set.keyType.rawValue)
                json.key("flags"); json.null()
            } else {
                json.key("type"); json.string(set.keyType.rawValue)
                json.key("flags"); json.array(flagNames(set.flags)) { json.string($0) }
            }
            json.key("previous")
            if let previous {
                json.object {
                    json.key("type"); json.string(previous.keyType.rawValue)
                    json.key("flags"); json.array(flagNames(previous.flags)) { json.string($0) }
                }
            } else {
                json.null()
            }
            json.key("add"); elements(add, json)
            json.key("remove"); elements(remove, json)
        }
    }

    private static func flagNames(_ flags: SetFlags) -> [String] {
        ElementText.flagsText(flags).split(separator: ",").map(String.init)
    }

    private static func elements(_ elements: SetElements, _ json: JSONWriter) {
        json.array(Array(0..<elements.count)) { index in
            let (first, last) = ElementText.bounds(elements, at: index)
            json.object {
                json.key("first"); json.string(first)
                json.key("last"); json.string(last)
                if let cidrs = ElementText.cidrs(elements, at: index) {
                    json.key("cidrs"); json.array(cidrs) { json.string($0) }
                }
            }
        }
    }

    private static func chainChange(_ change: ChainChange, _ json: JSONWriter) {
        json.object {
            json.key("name"); json.string(change.name)
            let (action, chain, reason, policy, rules): (String, Chain?, String?, PolicyChange?, RulesReplacement?) =
                switch change {
                case .add(let chain): ("create", chain, nil, nil, RulesReplacement(old: [], new: chain.rules))
                case .remove(let chain): ("delete", chain, nil, nil, RulesReplacement(old: chain.rules, new: []))
                case .replace(let old, let new, let reason):
                    ("replace", new, reason, nil, RulesReplacement(old: old.rules, new: new.rules))
                case .update(let update): ("update", nil, update.rules?.reason, update.policy, update.rules)
                }
            json.key("action"); json.string(action)
            json.key("base")
            if let base = chain?.base {
                json.object {
                    json.key("type"); json.string(base.type.rawValue)
                    json.key("hook"); json.string(base.hook.rawValue)
                    json.key("priority"); json.number(Int(base.priority))
                    json.key("policy"); json.string(RuleText.verdictText(base.policy))
                }
            } else {
                json.null()
            }
            json.key("reason"); if let reason { json.string(reason) } else { json.null() }
            json.key("policy")
            if let policy {
                json.object {
                    json.key("from"); json.string(RuleText.verdictText(policy.from))
                    json.key("to"); json.string(RuleText.verdictText(policy.to))
                }
            } else {
                json.null()
            }
            json.key("rules")
            if let rules {
                json.object {
                    json.key("before"); json.array(rules.old) { json.string(RuleText.describe($0)) }
                    json.key("after"); json.array(rules.new) { json.string(RuleText.describe($0)) }
                }
            } else {
                json.null()
            }
        }
    }
}

/// A small streaming JSON writer: compact output, keys in the order written. A class so the
/// nested closures can all write to it.
final class JSONWriter {
    private(set) var output = ""
    private var needsComma = [false]

    func object(_ body: () -> Void) {
        separate()
        output += "{"
        needsComma.append(false)
        body()
        needsComma.removeLast()
        output += "}"
    }

    func array<T>(_ items: [T], _ body: (T) -> Void) {
        separate()
        output += "["
        needsComma.append(false)
        for item in items { body(item) }
        needsComma.removeLast()
        output += "]"
    }

    func key(_ name: String) {
        separate()
        output += quoted(name) + ":"
        // The value that follows belongs to this key: no comma before it.
        needsComma[needsComma.count - 1] = false
        pendingKey = true
    }

    func string(_ value: String) { separate(); output += quoted(value) }
    func number(_ value: Int) { separate(); output += String(value) }
    func bool(_ value: Bool) { separate(); output += value ? "true" : "false" }
    func null() { separate(); output += "null" }

    private var pendingKey = false

    private func separate() {
        if pendingKey {
            pendingKey = false
        } else if needsComma[needsComma.count - 1] {
            output += ","
        }
        needsComma[needsComma.count - 1] = true
    }

    private func quoted(_ text: String) -> String { JSONText.quote(text) }
}
