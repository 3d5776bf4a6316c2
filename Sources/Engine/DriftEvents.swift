import Logging
import Plan
import Ruleset

/// The log lines `reconcile` writes for a plan it repaired: one per change (elements
/// included, up to ``elementLimit`` per set and direction, then a count), and a security
/// event per set that trusted addresses the policy does not. For a plan a rollback hold
/// keeps back, each line says what reconcile would do and that it is held: nothing changed.
public enum DriftEvents {
    /// Element lines per set and direction before the rest is summarised, so a mass change
    /// cannot flood syslog.
    public static let elementLimit = 1000

    /// Each event's level; a possible intrusion is `.critical` (log it with
    /// ``EventLogHandler/securityMetadata``).
    public static func events(for plan: RulesetPlan, held: Bool = false) -> [(level: Logger.Level, message: String)] {
        var events: [(Logger.Level, String)] = []
        // "re-created it", or, held, "would re-create it (held: not changed)".
        func did(_ past: String, _ would: String) -> String { held ? "would \(would) (held: not changed)" : past }
        let table = "table \(plan.desired.family.rawValue) \(plan.desired.name)"
        if plan.tableMissing { events.append((.warning, "drift: \(table) was missing; \(did("re-created it", "re-create it"))")) }
        if let flags = plan.tableFlags {
            // A dormant table hooks none of its chains: the firewall was off.
            events.append((flags.reactivates ? .critical : .warning,
                           "drift: \(table) had flags \(flags.from.names) instead of \(flags.to.names); \(did("set them back", "set them back"))"
                               + (flags.reactivates ? " (it was dormant: no chain was hooked, the firewall was off)" : "")))
        }
        func elements(_ list: SetElements, _ set: String, _ verb: String) {
            for index in 0..<min(list.count, elementLimit) {
                events.append((.warning, "drift: set \(set): \(held ? "would have \(verb)" : verb) element \(ElementText.text(list, at: index))"
                                         + (held ? " (held: not changed)" : "")))
            }
            if list.count > elementLimit {
                events.append((.warning, "drift: set \(set): \(held ? "would have \(verb)" : verb) \(list.count - elementLimit) more elements"))
            }
        }
        for change in plan.sets where !plan.tableMissing {
            switch change {
            case .add(let set): events.append((.warning, "drift: set \(set.name) was missing; \(did("re-created it", "re-create it")) with \(set.elements.count) elements"))
            case .remove(let set): events.append((.warning, "drift: set \(set.name) is not in the policy; \(did("deleted it", "delete it"))"))
            case .replace(let old, let new):
                events.append((.warning, "drift: set \(new.name) had type \(old.keyType.rawValue) flags \(ElementText.flagsText(old.flags)); \(did("re-created it", "re-create it"))"))
            case .elements(let delta):
                elements(delta.removed, delta.setName, "removed unexpected")
                elements(delta.added, delta.setName, "restored missing")
            }
        }
        for change in plan.chains where !plan.tableMissing {
            switch change {
            case .add(let chain): events.append((.warning, "drift: chain \(chain.name) was missing; \(did("re-created it", "re-create it"))"))
            case .remove(let chain): events.append((.warning, "drift: chain \(chain.name) is not in the policy; \(did("deleted it", "delete it"))"))
            case .replace(_, let new, let reason): events.append((.warning, "drift: chain \(new.name) changed (\(reason)); \(did("re-created it", "re-create it"))"))
            case .update(let update):
                if let policy = update.policy {
                    events.append((.warning, "drift: chain \(update.name) policy was \(RuleText.verdictText(policy.from)); \(did("set it back", "set it back")) to \(RuleText.verdictText(policy.to))"))
                }
                if let rules = update.rules {
                    let line = "drift: chain \(update.name) had \(rules.old.count) rules instead of the policy's \(rules.new.count) (or different ones); \(did("replaced them", "replace them"))"
                    if let door = openedDoor(rules) {
                        events.append((.critical, "open door: \(line); \(door)"))
                    } else {
                        events.append((.warning, line))
                    }
                }
            }
        }
        for unexpected in plan.unexpectedAddresses {
            let list = ElementText.texts(unexpected.addresses).prefix(elementLimit).joined(separator: " ")
            let catchAll = unexpected.catchAll ? " (a catch-all element: every address)" : ""
            events.append((.critical, "possible intrusion: set \(unexpected.setName) trusted addresses the policy does not\(catchAll): \(list)"
                + (unexpected.addresses.count > elementLimit ? " (and \(unexpected.addresses.count - elementLimit) more ranges)" : "")
                + "; \(did("removed them", "remove them"))"))
        }
        for unprotected in plan.unprotectedAddresses {
            let list = ElementText.texts(unprotected.addresses).prefix(elementLimit).joined(separator: " ")
            events.append((.critical, "possible intrusion: set \(unprotected.setName) no longer protected addresses the policy protects "
                + "(their migration ports were open to everyone): \(list)"
                + (unprotected.addresses.count > elementLimit ? " (and \(unprotected.addresses.count - elementLimit) more ranges)" : "")
                + "; \(did("restored them", "restore them"))"))
        }
        return events
    }

    /// What a chain's drifted rules let through that the policy's would not: drops of the
    /// policy the chain lacked, or rules of its own that end it for a packet (accept,
    /// return, jump, goto) in front of or instead of migfw's. Nil when the drift only
    /// added drops or moved nothing that passes (counters, order of equal rules).
    static func openedDoor(_ rules: RulesReplacement) -> String? {
        // Compared by expressions: a comment someone put on a rule changes nothing it does.
        let old = Set(rules.old.map(\.expressions)), new = Set(rules.new.map(\.expressions))
        let missingDrops = rules.new.filter { $0.expressions.contains(.verdict(.drop)) && !old.contains($0.expressions) }
        let foreignPasses = rules.old.filter { rule in
            !new.contains(rule.expressions) && rule.expressions.contains {
                switch $0 {
                case .verdict(.accept), .verdict(.return), .verdict(.jump), .verdict(.goto): true
                default: false
                }
            }
        }
        guard !missingDrops.isEmpty || !foreignPasses.isEmpty else { return nil }
        var parts: [String] = []
        if !missingDrops.isEmpty { parts.append("\(missingDrops.count) of its drop rules were missing") }
        if !foreignPasses.isEmpty {
            parts.append("\(foreignPasses.count) rule(s) that let packets pass were not migfw's (\(foreignPasses.prefix(3).map { NftText.render(rule: $0) }.joined(separator: "; ")))")
        }
        return parts.joined(separator: " and ") + ": migration ports may have been open (or an older migfw wrote the table)"
    }
}
