import Netlink
import Plan
import Ruleset

extension Batch {
    /// The one transaction that carries out `plan`.
    ///
    /// Order matters to the kernel: a set cannot be deleted while a rule uses it, a chain
    /// not while it has rules, and interval elements cannot overlap ones still present. So:
    /// flush the rules of every chain whose rules go; delete chains; delete sets; add sets;
    /// element deletions, then element additions; add chains (a policy change re-creates the
    /// chain); add the rules of chains whose rules were replaced.
    /// When the table is missing it is created whole; `replacing` deletes the kernel's table
    /// first, in the same batch (a plan that creates the table over an existing one:
    /// `--rebuild`). `userdata` goes on a table the batch creates (the kernel keeps an
    /// existing table's userdata as it is).
    public static func carrying(_ plan: RulesetPlan, userdata: [UInt8]? = nil, replacing: Bool = false) -> Batch {
        let retire = plan.retiredTables.map { Batch.Operation.deleteTableOfFamily($0) }
        if plan.tableMissing {
            var table = plan.desired
            table.userdata = userdata ?? table.userdata
            var batch = Batch.create(table, replacing: replacing)
            batch.operations.insert(contentsOf: retire, at: 0)
            return batch
        }
        var batch = Batch(family: plan.desired.family, table: plan.desired.name, operations: retire)
        if let flags = plan.tableFlags {
            // First, so chains added later in the batch are hooked; userdata nil because the
            // kernel keeps an existing table's userdata anyway.
            batch.append(.addTable(userdata: nil, flags: flags.to))
        }
        for change in plan.chains {
            switch change {
            case .remove(let chain): batch.append(.flushChain(chain.name))
            case .replace(let old, _, _): batch.append(.flushChain(old.name))
            case .update(let update) where update.rules != nil || update.policy != nil:
                batch.append(.flushChain(update.name))
            default: break
            }
        }
        for change in plan.chains {
            switch change {
            case .remove(let chain): batch.append(.deleteChain(chain.name))
            case .replace(let old, _, _): batch.append(.deleteChain(old.name))
            case .update(let update) where update.policy != nil: batch.append(.deleteChain(update.name))
            default: break
            }
        }
        for change in plan.sets {
            switch change {
            case .remove(let set): batch.append(.deleteSet(set.name))
            case .replace(let old, _): batch.append(.deleteSet(old.name))
            default: break
            }
        }
        for change in plan.sets {
            switch change {
            case .add(let set): batch.append(.addSet(set))
            case .replace(_, let new): batch.append(.addSet(new))
            default: break
            }
        }
        for case .elements(let delta) in plan.sets where delta.removed.count > 0 {
            batch.append(.deleteElements(set: delta.setName, delta.removed))
        }
        for case .elements(let delta) in plan.sets where delta.added.count > 0 {
            batch.append(.addElements(set: delta.setName, delta.added))
        }
        for change in plan.chains {
            switch change {
            case .add(let chain): batch.append(.addChain(chain))
            case .replace(_, let new, _): batch.append(.addChain(new))
            case .update(let update):
                if update.policy != nil, let chain = plan.desired.chain(named: update.name) {
                    // The netlink layer creates chains exclusively (no in-place NEWCHAIN
                    // update), so a policy change re-creates the chain with its rules, in the
                    // same transaction: the hook never goes without a chain.
                    batch.append(.addChain(chain))
                } else if let rules = update.rules {
                    for rule in rules.new { batch.append(.addRule(chain: update.name, rule)) }
                }
            default: break
            }
        }
        return batch
    }
}
