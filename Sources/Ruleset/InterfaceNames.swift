extension Table {
    /// The interface names the rules match (`iifname`/`oifname` compared with a name), in
    /// first-seen order. Rules match a NIC by name: one that does not exist makes them filter
    /// nothing, which `status`, `plan` and `reconcile` report.
    public var interfaceNames: [String] {
        var names: [String] = []
        for chain in chains {
            for rule in chain.rules {
                var loaded: [Register: MetaKey] = [:]
                for expression in rule.expressions {
                    switch expression {
                    case .meta(let key, let register) where key == .iifname || key == .oifname:
                        loaded[register] = key
                    case .cmp(_, let register, let data) where loaded[register] != nil:
                        let name = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
                        if !name.isEmpty, !names.contains(name) { names.append(name) }
                        loaded[register] = nil
                    default:
                        break
                    }
                }
            }
        }
        return names
    }
}
