import Prefix

/// The duplicate and overlap lints (info): the same prefix written twice, or a network
/// (or prefix-list entry) inside another. A host inside a trusted network is not reported:
/// that is how hosts are meant to be written (see the host-outside-networks lint), and
/// naming them keeps them trusted if the network is narrowed later.
enum PrefixOverlaps {
    struct Entry {
        enum Origin { case network(Int), host(Int), file }
        let prefix: Located<AnyCIDR>
        let origin: Origin
        var isHost: Bool { if case .host = origin { true } else { false } }

        /// Built only for the entries a finding names: a feed has 100k of them.
        var label: String {
            switch origin {
            case .network(let index): "trusted.networks[\(index)]"
            case .host(let index): "trusted.hosts[\(index)]"
            case .file: "\(prefix.location.file):\(prefix.location.line)"
            }
        }
    }

    static func findings(_ policy: Policy, budget: inout FindingBudget) -> [Finding] {
        var entries: [Entry] = []
        entries.reserveCapacity(policy.trusted.networks.count + policy.trusted.hosts.count + policy.trusted.filePrefixes.count)
        for (index, network) in policy.trusted.networks.enumerated() {
            entries.append(Entry(prefix: network, origin: .network(index)))
        }
        for (index, host) in policy.trusted.hosts.enumerated() {
            entries.append(Entry(prefix: host.address, origin: .host(index)))
        }
        for prefix in policy.trusted.filePrefixes {
            entries.append(Entry(prefix: prefix, origin: .file))
        }
        // Sorted by family, address, then shorter length first, an entry's enclosing
        // prefixes are on the stack when it is visited: O(n log n) for large feeds.
        let order = entries.indices.sorted { lhs, rhs in
            let l = entries[lhs].prefix.value, r = entries[rhs].prefix.value
            switch (l, r) {
            case (.v4, .v6): return true
            case (.v6, .v4): return false
            case (.v4(let a), .v4(let b)): return a != b ? a < b : lhs < rhs
            case (.v6(let a), .v6(let b)): return a != b ? a < b : lhs < rhs
            }
        }
        var findings: [Finding] = []
        var stack: [Int] = []
        for index in order {
            let entry = entries[index]
            while let top = stack.last, !AddressSpace.contains(entries[top].prefix.value, entry.prefix.value) {
                stack.removeLast()
            }
            if let top = stack.last {
                let outer = entries[top]
                let id = outer.prefix.value == entry.prefix.value ? "duplicate" : entry.isHost ? nil : "overlap"
                guard let id, budget.admit(id) else {
                    stack.append(index)
                    continue
                }
                let at = outer.label + (outer.prefix.location.file == policy.path && !outer.label.contains(":")
                    ? " at line \(outer.prefix.location.line)" : "")
                if id == "duplicate" {
                    findings.append(Finding(
                        id: "duplicate", severity: .info, location: entry.prefix.location,
                        message: "'\(entry.prefix.value)' is listed twice (also \(at))",
                        hint: "remove one of them"))
                } else {
                    findings.append(Finding(
                        id: "overlap", severity: .info, location: entry.prefix.location,
                        message: "'\(entry.prefix.value)' is already covered by '\(outer.prefix.value)' (\(at))",
                        hint: "remove the narrower entry, unless it documents something"))
                }
            }
            stack.append(index)
        }
        return findings
    }
}
