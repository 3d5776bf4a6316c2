/// Text from an input file, made safe and short enough to quote in a message.
///
/// Messages go to terminals, the journal and cron mail. A file that is not a prefix list (a
/// symlink in a feed directory to /etc/shadow, a binary) must not be echoed there: a
/// message quotes only the start of the bad token, enough to find it at the file:line:column
/// it names, with control characters (terminal escapes), DEL, C1 controls and bidirectional
/// overrides written as `\u{…}` escapes.
public enum Excerpt {
    /// How many characters of the offending text a message quotes at most.
    public static let maximumCharacters = 40
    /// How many characters of a bad token in a prefix-list file a message quotes: enough to
    /// find it at the line and column the message names, too few to carry a token or
    /// password out of a file that was never meant to be a list.
    public static let fileTokenCharacters = 12

    /// `text` escaped and, past `limit` characters, cut with "...".
    public static func quoted(_ text: some StringProtocol, limit: Int = maximumCharacters) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit {
                out += "..."
                break
            }
            if needsEscape(scalar) {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return out
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7f...0x9f: true
        // Bidirectional embeddings, overrides and isolates: they reorder what a terminal shows.
        case 0x202a...0x202e, 0x2066...0x2069, 0x200e, 0x200f: true
        default: false
        }
    }
}
