import Foundation
import Prefix

/// `/etc/pve/datacenter.cfg` read the way Proxmox's `parse_config` (pve-common JSONSchema.pm)
/// reads it: one `key: value` per line, `#` lines are comments (the description), and of
/// repeated keys the **last** counts.
struct ProxmoxDatacenterConfig {
    /// One `key: value` line.
    struct Entry: Hashable {
        var key: String
        var value: String
        var line: Int
    }

    /// Every `key: value` line, in file order (repeats included).
    var entries: [Entry] = []
    /// The lines that are neither blank, a comment nor `key: value`: Proxmox skips them.
    var unparsedLines: [Int] = []

    init(_ text: ConfigText) {
        for (index, raw) in text.lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            // `^(\S+?):\s*(.*)$`: the key is what comes before the first colon, without blanks.
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                  !line[..<colon].contains(where: \.isWhitespace) else {
                unparsedLines.append(index + 1)
                continue
            }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            entries.append(Entry(key: String(line[..<colon]), value: value, line: index + 1))
        }
    }

    /// The entry that counts for `key`: the last.
    func entry(_ key: String) -> Entry? { entries.last { $0.key == key } }

    /// The entries for `key` before the last one: Proxmox ignores them.
    func ignoredRepeats(of key: String) -> [Entry] { Array(entries.filter { $0.key == key }.dropLast()) }
}

/// The value of datacenter.cfg's `migration:` setting, a property string
/// `[type=]<secure|insecure>[,network=<CIDR>]` whose default key is `type`.
struct ProxmoxMigrationSetting: Hashable {
    enum MigrationType: String, Hashable {
        case secure
        case insecure
    }

    /// nil when the value does not say (Proxmox then falls back to `migration_unsecure`, or secure).
    var type: MigrationType?
    /// nil when the value names no network: migration runs over the cluster network.
    var network: AnyCIDRText?

    /// A network as written together with its parsed prefix.
    struct AnyCIDRText: Hashable {
        var text: String
        var prefix: AnyCIDR
    }

    /// Parses `value`; the error says what Proxmox's schema check rejects.
    static func parse(_ value: String) -> Result<ProxmoxMigrationSetting, ProxmoxSettingProblem> {
        var setting = ProxmoxMigrationSetting()
        var sawType = false, sawNetwork = false
        for rawPart in value.split(separator: ",", omittingEmptySubsequences: false) {
            let part = rawPart.trimmingCharacters(in: .whitespaces)
            if part.isEmpty { continue }
            let key: String, text: String
            if let equals = part.firstIndex(of: "=") {
                key = String(part[..<equals])
                text = String(part[part.index(after: equals)...])
            } else {
                key = "type"
                text = part
            }
            switch key {
            case "type":
                guard !sawType else { return .failure(.init("type is given twice")) }
                sawType = true
                guard let type = MigrationType(rawValue: text) else {
                    return .failure(.init("type '\(Excerpt.quoted(text))' is neither secure nor insecure"))
                }
                setting.type = type
            case "network":
                guard !sawNetwork else { return .failure(.init("network is given twice")) }
                sawNetwork = true
                // Proxmox's CIDR format wants an address and a length.
                guard text.contains("/"), let prefix = try? PrefixParser.parse(text, hostBits: .mask) else {
                    return .failure(.init("network '\(Excerpt.quoted(text))' is not a CIDR (address/length)"))
                }
                setting.network = AnyCIDRText(text: text, prefix: prefix)
            default:
                return .failure(.init("'\(Excerpt.quoted(key, limit: Excerpt.fileTokenCharacters))' is not a property of migration (type, network)"))
            }
        }
        return .success(setting)
    }
}

/// Why Proxmox's schema check rejects a setting's value.
struct ProxmoxSettingProblem: Error, Hashable {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Proxmox's boolean values (`1|true|yes|on`, `0|false|no|off`, any case); nil for others.
func proxmoxBool(_ text: String) -> Bool? {
    switch text.lowercased() {
    case "1", "true", "yes", "on": true
    case "0", "false", "no", "off": false
    default: nil
    }
}
