import Foundation
import Prefix

/// What the audit needs of pve-firewall's `/etc/pve/firewall/cluster.fw`: the `[OPTIONS]`
/// `enable:` switch, the `[ALIASES]` and the `[IPSET name]` entries. Sections are
/// `[NAME]` lines (`# comment` after them allowed); `#` lines are comments.
struct ProxmoxFirewallConfig {
    /// One `name cidr` line of `[ALIASES]`.
    struct Alias: Hashable {
        var value: String
        var line: Int
    }

    /// One entry line of an `[IPSET name]` section.
    struct SetEntry: Hashable {
        /// The address, CIDR or alias name as written (without `!`).
        var value: String
        /// A leading `!`: the entry is cut out of the set.
        var negated: Bool
        var line: Int
    }

    /// The last `enable:` of `[OPTIONS]` with its line; nil when unset (the firewall is off).
    var enable: (on: Bool, line: Int)?
    /// Aliases by lower-cased name (pve-firewall compares alias names without case).
    var aliases: [String: Alias] = [:]
    /// IP sets by lower-cased name.
    var ipsets: [String: [SetEntry]] = [:]

    init(_ text: ConfigText) {
        var section = ""
        var setName = ""
        for (index, raw) in text.lines.enumerated() {
            let number = index + 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("["), let close = line.firstIndex(of: "]") {
                let words = line[line.index(after: line.startIndex)..<close].split(whereSeparator: \.isWhitespace)
                section = words.first.map { $0.uppercased() } ?? ""
                setName = words.count > 1 ? words[1].lowercased() : ""
                continue
            }
            let content = (line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                .trimmingCharacters(in: .whitespaces)
            switch section {
            case "OPTIONS":
                guard let colon = content.firstIndex(of: ":"),
                      content[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == "enable" else { continue }
                // pve-firewall takes 0 or 1 here; anything else is skipped with a warning (off).
                switch content[content.index(after: colon)...].trimmingCharacters(in: .whitespaces) {
                case "1": enable = (true, number)
                case "0": enable = (false, number)
                default: continue
                }
            case "ALIASES":
                let words = content.split(whereSeparator: \.isWhitespace)
                guard words.count >= 2 else { continue }
                aliases[words[0].lowercased()] = Alias(value: String(words[1]), line: number)
            case "IPSET":
                guard let word = content.split(whereSeparator: \.isWhitespace).first else { continue }
                let negated = word.hasPrefix("!")
                ipsets[setName, default: []].append(SetEntry(value: String(negated ? word.dropFirst() : word[...]),
                                                             negated: negated, line: number))
            default:
                continue
            }
        }
    }

    /// An ipset entry or alias value as a prefix: a CIDR or address, else an alias name
    /// (`name` or `dc/name`) defined in `[ALIASES]`; nil when it is neither.
    func prefix(of value: String) -> AnyCIDR? {
        if let prefix = try? PrefixParser.parse(value, hostBits: .mask) { return prefix }
        let name = (value.lowercased().hasPrefix("dc/") ? String(value.dropFirst(3)) : value).lowercased()
        guard let alias = aliases[name] else { return nil }
        return try? PrefixParser.parse(alias.value, hostBits: .mask)
    }
}
