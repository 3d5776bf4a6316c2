import Foundation

/// One of xapi's config files (`/etc/xapi.conf`, `/etc/xapi.conf.d/*`) read the way
/// xcp_service.ml reads it: a `#` anywhere ends the line, trailing blanks go, then
/// `key = value` where the key has no blank or `=`, and one pair of matching surrounding
/// quotes (`"` or `'`) is stripped from the value. Other lines are skipped.
struct XapiConfig {
    /// One `key = value` line.
    struct Setting: Hashable {
        var key: String
        var value: String
        var line: Int
    }

    /// Every setting, in file order (later ones override earlier ones, across files too).
    var settings: [Setting] = []

    init(_ text: ConfigText) {
        for (index, raw) in text.lines.enumerated() {
            let content = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            guard let equals = content.firstIndex(of: "=") else { continue }
            // The key is the run of non-blank characters right before the '=' (and its blanks).
            let before = content[..<equals].reversed().drop { $0 == " " || $0 == "\t" }
            let key = String(before.prefix { $0 != " " && $0 != "\t" }.reversed())
            guard !key.isEmpty else { continue }
            var value = String(content[content.index(after: equals)...]
                .drop { $0 == " " || $0 == "\t" })
            while let last = value.last, last == " " || last == "\t" { value.removeLast() }
            if value.count >= 2, let first = value.first, first == value.last, first == "\"" || first == "'" {
                value = String(value.dropFirst().dropLast())
            }
            settings.append(Setting(key: key, value: value, line: index + 1))
        }
    }
}
