import Prefix

/// xend's `/etc/xen/xend-config.sxp`: S-expressions `(name value)`, `#` comments to the end
/// of the line, strings quoted with `'` or `"` (a backslash takes the next character as is).
/// Only top-level `(name value)` lists are kept; of repeated names the first counts, as
/// xend's `sxp.child_value` returns the first match.
struct XenSxpConfig {
    /// One top-level `(name value)`.
    struct Setting: Hashable {
        var name: String
        /// The atom or string after the name; nil when it is a list or missing.
        var value: String?
        var line: Int
    }

    /// Parentheses or quotes that do not balance: xend cannot read the file.
    struct SyntaxError: Hashable {
        var line: Int
        var message: String
    }

    var settings: [Setting] = []
    var syntaxError: SyntaxError?

    /// The setting that counts for `name`: the first.
    func setting(_ name: String) -> Setting? { settings.first { $0.name == name } }

    /// A parsed element of a list.
    private enum Element {
        case atom(String)
        case string(String)
        case list
    }

    init(_ text: String) {
        var open: [(line: Int, elements: [Element])] = []
        var line = 1
        // Unicode scalars, not Characters: "\r\n" is one Character and would hide a line end.
        var characters = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar?
        func next() -> Unicode.Scalar? {
            if let held = pending {
                pending = nil
                return held
            }
            return characters.next()
        }
        func add(_ element: Element) {
            if !open.isEmpty { open[open.count - 1].elements.append(element) }
        }
        while let character = next() {
            switch character {
            case "\n":
                line += 1
            case " ", "\t", "\r":
                continue
            case "#":
                while let skipped = next(), skipped != "\n" {}
                line += 1
            case "(":
                open.append((line, []))
            case ")":
                guard let closed = open.popLast() else {
                    syntaxError = SyntaxError(line: line, message: "')' closes no '('")
                    return
                }
                if open.isEmpty, case .atom(let name)? = closed.elements.first {
                    var value: String?
                    if closed.elements.count > 1 {
                        switch closed.elements[1] {
                        case .atom(let text), .string(let text): value = text
                        case .list: value = nil
                        }
                    }
                    settings.append(Setting(name: name, value: value, line: closed.line))
                }
                add(.list)
            case "'", "\"":
                let start = line
                var text = String.UnicodeScalarView()
                var closed = false
                while let inner = next() {
                    if inner == character {
                        closed = true
                        break
                    }
                    if inner == "\n" { line += 1 }
                    if inner == "\\", let escaped = next() {
                        if escaped == "\n" { line += 1 }
                        text.append(escaped)
                    } else {
                        text.append(inner)
                    }
                }
                guard closed else {
                    syntaxError = SyntaxError(line: start, message: "a string quoted here is never closed")
                    return
                }
                add(.string(String(text)))
            default:
                var atom = String.UnicodeScalarView([character])
                while let more = next() {
                    if more == " " || more == "\t" || more == "\r" || more == "\n" || more == "(" || more == ")"
                        || more == "#" || more == "'" || more == "\"" {
                        pending = more
                        break
                    }
                    atom.append(more)
                }
                add(.atom(String(atom)))
            }
        }
        if let unclosed = open.last {
            syntaxError = SyntaxError(line: unclosed.line, message: "the '(' here is never closed")
        }
    }
}
