/// Why a prefix list could not be read, with the place in the file.
public struct PrefixListError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        /// A line's prefix did not parse; carries the parser's message and hint.
        case invalidPrefix(PrefixParseError)
        /// Something other than a `#` comment follows the prefix on its line.
        case trailingText(String)
        /// The file is larger than the reader's size limit (bytes).
        case tooLarge(limit: Int)
        /// The file could not be opened or read; carries the system's words.
        case unreadable(String)
    }

    public let reason: Reason
    /// The path, or `<stdin>`.
    public let source: String
    /// 1-based line, or 0 when the problem is the whole file.
    public let line: Int
    /// 1-based byte column, or 0 when the problem is the whole file.
    public let column: Int

    public init(_ reason: Reason, source: String, line: Int = 0, column: Int = 0) {
        self.reason = reason
        self.source = source
        self.line = line
        self.column = column
    }

    /// One line that says what is wrong.
    public var message: String {
        switch reason {
        // A list's bad token is quoted short, since the file may hold other things than
        // prefixes; whole only when it is shaped like an address (hex digits, '.', ':', '/').
        case .invalidPrefix(let error):
            error.message(quoting: Self.addressShaped(error.text) ? Excerpt.maximumCharacters : Excerpt.fileTokenCharacters)
        case .trailingText(let text):
            "unexpected '\(Excerpt.quoted(text, limit: Excerpt.fileTokenCharacters))' after the prefix (one prefix a line)"
        case .tooLarge(let limit): "more than \(limit) bytes, the size limit for a prefix list"
        case .unreadable(let why): "cannot read: \(why)"
        }
    }

    /// Whether `text` looks like an address or prefix (up to the 43 characters of the longest
    /// IPv6 prefix, of hex digits, '.', ':' and '/', with a '.' or ':'): quoting it whole
    /// helps and leaks nothing a token or password would carry.
    static func addressShaped(_ text: String) -> Bool {
        text.utf8.count <= 43 && (text.contains(".") || text.contains(":"))
            && text.utf8.allSatisfy { $0.isHexDigitASCII || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "/") }
    }

    /// How to fix it, when there is something useful to say.
    public var hint: String? {
        switch reason {
        case .invalidPrefix(let error): error.hint
        case .trailingText: "start a comment with '#'"
        case .tooLarge: "split the list, or aggregate it first with 'migfw aggregate'"
        case .unreadable: nil
        }
    }

    /// `FILE:LINE:COLUMN: error: MESSAGE` (just `FILE: error: ...` for whole-file problems),
    /// followed by a `note:` line with the hint when there is one.
    public var description: String {
        let place = line > 0 ? "\(source):\(line):\(column)" : source
        var text = "\(place): error: \(message)"
        if let hint { text += "\n\(place): note: \(hint)" }
        return text
    }
}

private extension UInt8 {
    var isHexDigitASCII: Bool {
        (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self)
    }
}
