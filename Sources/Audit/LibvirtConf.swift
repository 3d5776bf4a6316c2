import Prefix

/// A libvirt configuration file (`qemu.conf`, `libvirtd.conf`, ...) read the way libvirt's
/// own `virconf.c` reads it, so that the audit sees what the daemon sees.
///
/// `name = value` statements, separated by newlines or `;`; `#` comments; values are a
/// string (`"..."`, `'...'`, `"""..."""` over several lines), an integer (optional sign,
/// digits) or a list `[v, v,]` over any number of lines. An unquoted word is a syntax error,
/// at which the daemon refuses to start: parsing stops there too. Of repeated names the
/// **first** counts (`virConfGetValue` returns the first match).
public struct LibvirtConf: Sendable {
    /// A value as written.
    public indirect enum Value: Hashable, Sendable {
        /// The digits as written, with the sign; `number` is nil when it overflows.
        case integer(String)
        case string(String)
        case list([Value])

        /// The integer's value, when it is an integer that fits.
        public var number: Int64? {
            guard case .integer(let text) = self else { return nil }
            return Int64(text.hasPrefix("+") ? String(text.dropFirst()) : text)
        }

        /// The value as libvirt's file shows it, quoted for a message.
        public var shown: String {
            switch self {
            case .integer(let text): Excerpt.quoted(text, limit: Excerpt.fileTokenCharacters)
            case .string(let text): "\"\(Excerpt.quoted(text))\""
            // A list is never quoted: only how long it is.
            case .list(let items): "[a list of \(items.count)]"
            }
        }
    }

    /// One `name = value` statement.
    public struct Entry: Hashable, Sendable {
        public var name: String
        public var value: Value
        public var line: Int
    }

    /// A syntax error: the daemon refuses to start with the file.
    public struct SyntaxError: Hashable, Sendable {
        public var line: Int
        public var message: String
    }

    /// Every statement, in file order (repeats included).
    public var entries: [Entry] = []
    /// The first syntax error, if any; statements after it are not read.
    public var syntaxError: SyntaxError?
    /// For each name that appears as a commented-out statement (`#migrate_tls_force = 0`),
    /// the first such line: where the file shows the built-in default.
    public var commentedOut: [String: Int] = [:]

    /// The statement that counts for `name`: the first.
    public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    /// The later statements for names already set: libvirt ignores them.
    public var ignoredRepeats: [(ignored: Entry, first: Entry)] {
        var first: [String: Entry] = [:]
        var result: [(Entry, Entry)] = []
        for entry in entries {
            if let earlier = first[entry.name] { result.append((entry, earlier)) } else { first[entry.name] = entry }
        }
        return result
    }

    public init(_ text: String) {
        var scanner = Scanner(Array(text.utf8))
        parse(&scanner)
        for (index, line) in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map(Substring.init).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            guard trimmed.hasPrefix("#") else { continue }
            let body = trimmed.dropFirst().drop { $0 == " " || $0 == "\t" }
            let name = body.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            let rest = body.dropFirst(name.count).drop { $0 == " " || $0 == "\t" }
            if let first = name.first, first.isLetter, rest.hasPrefix("="), commentedOut[String(name)] == nil {
                commentedOut[String(name)] = index + 1
            }
        }
    }

    private mutating func parse(_ scanner: inout Scanner) {
        while true {
            scanner.skipBlanksAndComments(newlines: true, semicolons: true)
            guard let byte = scanner.peek else { return }
            let line = scanner.line
            guard Scanner.isLetter(byte) else {
                return fail(line, "expected a setting name, found \(scanner.token())")
            }
            let name = scanner.name()
            scanner.skipBlanksAndComments(newlines: false, semicolons: false)
            guard scanner.peek == UInt8(ascii: "=") else {
                return fail(scanner.line, "expected '=' after \(Excerpt.quoted(name))")
            }
            scanner.advance()
            scanner.skipBlanksAndComments(newlines: false, semicolons: false)
            guard let value = value(&scanner) else { return }
            scanner.skipBlanksAndComments(newlines: false, semicolons: false)
            if let next = scanner.peek, next != UInt8(ascii: "\n"), next != UInt8(ascii: ";") {
                return fail(scanner.line, "expected the end of the statement after \(Excerpt.quoted(name)), found \(scanner.token())")
            }
            entries.append(Entry(name: name, value: value, line: line))
        }
    }

    private mutating func value(_ scanner: inout Scanner) -> Value? {
        let line = scanner.line
        guard let byte = scanner.peek else {
            fail(line, "expected a value, found the end of the file")
            return nil
        }
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            if byte == UInt8(ascii: "\""), scanner.hasPrefix("\"\"\"") {
                scanner.advance(3)
                guard let text = scanner.until("\"\"\"", acrossLines: true) else {
                    fail(line, "a \"\"\" string is not closed")
                    return nil
                }
                return .string(text)
            }
            scanner.advance()
            guard let text = scanner.until(byte == UInt8(ascii: "\"") ? "\"" : "'", acrossLines: false) else {
                fail(line, "a quoted string is not closed on its line")
                return nil
            }
            return .string(text)
        case UInt8(ascii: "["):
            scanner.advance()
            var items: [Value] = []
            while true {
                scanner.skipBlanksAndComments(newlines: true, semicolons: false)
                guard let next = scanner.peek else {
                    fail(line, "a list is not closed")
                    return nil
                }
                if next == UInt8(ascii: "]") {
                    scanner.advance()
                    return .list(items)
                }
                guard let item = value(&scanner) else { return nil }
                items.append(item)
                scanner.skipBlanksAndComments(newlines: true, semicolons: false)
                if scanner.peek == nil {
                    fail(line, "a list is not closed")
                    return nil
                } else if scanner.peek == UInt8(ascii: ",") {
                    scanner.advance()
                } else if scanner.peek != UInt8(ascii: "]") {
                    fail(scanner.line, "expected ',' or ']' in a list, found \(scanner.token())")
                    return nil
                }
            }
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            var text = ""
            if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
                scanner.advance()
            }
            let digits = scanner.digits()
            guard !digits.isEmpty, scanner.peek.map({ !Scanner.isLetter($0) }) ?? true else {
                fail(line, "expected a number, found \(scanner.token())")
                return nil
            }
            return .integer(text + digits)
        default:
            fail(line, "expected a value (a number, a quoted string or a list), found \(scanner.token()); libvirt refuses unquoted words")
            return nil
        }
    }

    private mutating func fail(_ line: Int, _ message: String) {
        syntaxError = SyntaxError(line: line, message: message)
    }

    /// A byte cursor that counts lines.
    struct Scanner {
        let bytes: [UInt8]
        var index = 0
        var line = 1
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }
        func hasPrefix(_ text: String) -> Bool {
            let utf8 = Array(text.utf8)
            return index + utf8.count <= bytes.count && Array(bytes[index..<index + utf8.count]) == utf8
        }
        mutating func advance(_ count: Int = 1) {
            for _ in 0..<count where index < bytes.count {
                if bytes[index] == UInt8(ascii: "\n") { line += 1 }
                index += 1
            }
        }
        static func isLetter(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        }
        static func isNameByte(_ byte: UInt8) -> Bool {
            isLetter(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
        }
        mutating func name() -> String {
            let start = index
            while let byte = peek, Self.isNameByte(byte) { advance() }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
        mutating func digits() -> String {
            let start = index
            while let byte = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { advance() }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
        /// The text up to `end` (consumed), or nil when it does not come.
        mutating func until(_ end: String, acrossLines: Bool) -> String? {
            let start = index
            while index < bytes.count {
                if hasPrefix(end) {
                    let text = String(decoding: bytes[start..<index], as: UTF8.self)
                    advance(end.utf8.count)
                    return text
                }
                if !acrossLines, bytes[index] == UInt8(ascii: "\n") { return nil }
                advance()
            }
            return nil
        }
        mutating func skipBlanksAndComments(newlines: Bool, semicolons: Bool) {
            while let byte = peek {
                if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") ||
                    (newlines && byte == UInt8(ascii: "\n")) || (semicolons && byte == UInt8(ascii: ";")) {
                    advance()
                } else if byte == UInt8(ascii: "#") {
                    while let next = peek, next != UInt8(ascii: "\n") { advance() }
                } else {
                    return
                }
            }
        }
        /// The token at the cursor, short and escaped, for a message: never more of the file.
        func token() -> String {
            var end = index
            while end < bytes.count, !(bytes[end] == UInt8(ascii: " ") || bytes[end] == UInt8(ascii: "\n") ||
                                        bytes[end] == UInt8(ascii: "\t")) { end += 1 }
            let text = String(decoding: bytes[index..<end], as: UTF8.self)
            return "'" + Excerpt.quoted(text, limit: Excerpt.fileTokenCharacters) + "'"
        }
    }
}
