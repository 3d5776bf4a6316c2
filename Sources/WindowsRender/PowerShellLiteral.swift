/// PowerShell single-quoted string literals: the only form policy data takes in a generated
/// script. Inside `'...'` nothing expands (`$`, backticks, `;` and `"` are plain text); the
/// only way out is a single quote, and PowerShell's tokenizer takes U+2018, U+2019, U+201A
/// and U+201B for one as well as `'`. Every one of them is doubled, as PowerShell's own
/// `CodeGeneration.EscapeSingleQuotedStringContent` does.
public enum PowerShellLiteral {
    /// The characters PowerShell reads as a single quote.
    public static let singleQuotes: Set<Unicode.Scalar> = ["'", "\u{2018}", "\u{2019}", "\u{201A}", "\u{201B}"]

    /// `text` as a single-quoted literal, every single-quote character doubled.
    public static func quoted(_ text: String) -> String {
        // Every quote character is either ' or starts with the UTF-8 bytes E2 80.
        if !text.utf8.contains(where: { $0 == 0x27 || $0 == 0xE2 }) { return "'" + text + "'" }
        var result = "'"
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count + 2)
        for scalar in text.unicodeScalars {
            result.unicodeScalars.append(scalar)
            if singleQuotes.contains(scalar) { result.unicodeScalars.append(scalar) }
        }
        result.append("'")
        return result
    }

    /// `@('a', 'b')`: a PowerShell array of quoted strings (`@()` when empty).
    public static func array(_ items: [String]) -> String {
        "@(" + items.map(quoted).joined(separator: ", ") + ")"
    }

    /// Why `text` cannot go into a generated script, or nil: the scripts are ASCII (Windows
    /// PowerShell 5.1 reads a BOM-less file in the ANSI code page) and one value never spans
    /// lines, so control characters, line breaks and non-ASCII are refused, not escaped.
    public static func problem(_ text: String) -> String? {
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7f {
                return "contains a control character or line break (U+\(hex(scalar.value)))"
            }
            if scalar.value > 0x7e { return "contains the non-ASCII character U+\(hex(scalar.value))" }
        }
        return nil
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
