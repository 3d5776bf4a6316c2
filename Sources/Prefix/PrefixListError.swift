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
        case .invalidPrefix(let error): error.message
        case .trailingText(let text): "unexpected '\(Excerpt.quoted(text))' after the prefix (one prefix a line)"
        case .tooLarge(let limit): "more than \(limit) bytes, the size limit for a prefix list"
        case .unreadable(let why): "cannot read: \(why)"
        }
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
