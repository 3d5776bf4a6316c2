import Prefix

/// The duplicate and overlap lints (info): the same prefix written twice, or a network
/// (or prefix-list entry) inside another. A host inside a trusted network is not reported:
/// that is how hosts are meant to be written (see the host-outside-networks lint), and
/// naming them keeps them trusted if the network is narrowed later.
enum PrefixOverlaps {
    struct Entry {
        let prefix: Located<AnyCIDR>
        let label: String
        let isHost: Bool
    }

    static func findings(_ policy: Policy) -> [Finding] {
        var entries: [Entry] = []
        for (index, network) in policy.trusted.networks.enumerated() {
            entries.append(Entry(prefix: network, label: "trusted.networks[\(index)]", isHost: false))
        }
        for (index, host) in policy.trusted.hosts.enumerated() {
            entries.append(Entry(prefix: host.address, label: "trusted.hosts[\(index)]", isHost: true))
        }
        for prefix in policy.trusted.filePrefixes {
            entries.append(Entry(prefix: prefix, label: "\(prefix.location.file):\(prefix.location.line)", isHost: false))
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
                let at = "\(outer.label)" + (outer.prefix.location.file == policy.path && !outer.label.contains(":")
                    ? " at line \(outer.prefix.location.line)" : "")
                if outer.prefix.value == entry.prefix.value {
                    findings.append(Finding(
                        id: "duplicate", severity: .info, location: entry.prefix.location,
                        message: "'\(entry.prefix.value)' is listed twice (also \(at))",
                        hint: "remove one of them"))
                } else if !entry.isHost {
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
