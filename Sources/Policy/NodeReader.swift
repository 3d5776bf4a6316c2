import Prefix
import Yams

/// Typed, strict reading of YAML nodes that collects every problem instead of stopping at
/// the first. Each problem names the key path (`trusted.hosts[3].address`) and the line and
/// column of the offending node.
///
/// Types are taken from how a scalar is written, not from YAML 1.1 resolution: a boolean is
/// exactly `true` or `false` (not `yes`, `on`, `y`), a number is plain decimal digits.
final class NodeReader {
    let document: YAMLDocument
    private(set) var findings: [Finding] = []
    /// At most ``PolicyLinter/maximumFindingsPerID`` problems of one kind are kept: a 1 MiB
    /// policy of bad entries must not become half a million messages in memory.
    private var budget = FindingBudget()
    /// How many problems of each id were counted but not kept.
    var skippedFindings: [String: Int] { budget.skipped }

    init(document: YAMLDocument) {
        self.document = document
    }

    var source: SourceText { document.source }

    func location(_ node: Node) -> SourceLocation { document.location(node) }

    func error(_ id: String, at location: SourceLocation, _ message: @autoclosure () -> String,
               hint: @autoclosure () -> String? = nil) {
        guard budget.admit(id) else { return }
        findings.append(Finding(id: id, severity: .error, location: location, message: message(), hint: hint()))
    }

    func error(_ id: String, _ node: Node, _ message: @autoclosure () -> String, hint: @autoclosure () -> String? = nil) {
        error(id, at: location(node), message(), hint: hint())
    }

    /// A short rendering of a node for messages: the scalar text, or its kind.
    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if isNull(node) { return "nothing" }
            return "'\(Excerpt.quoted(scalar.string))'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    private func wrongType(_ node: Node, _ path: String, expected: String, hint: String? = nil) {
        error("type", node, "\(path): expected \(expected), found \(Self.describe(node))", hint: hint)
    }

    // MARK: Mappings

    /// The entries of a mapping, checked against `known` keys: unknown keys (with a
    /// did-you-mean), duplicate keys and non-string keys are reported and left out.
    /// `elsewhere` maps keys that belong at another level to their full path, for the hint.
    func mapping(
        _ node: Node, path: String, known: [String], elsewhere: [String: String] = [:]
    ) -> [String: (key: Node, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            wrongType(node, path.isEmpty ? "the policy" : path, expected: "a mapping")
            return nil
        }
        var entries: [String: (key: Node, value: Node)] = [:]
        var seen: [String: SourceLocation] = [:]
        for (key, value) in mapping {
            guard let name = document.keyText(key), case .scalar = key else {
                error("type", key, "\(path.isEmpty ? "" : path + ": ")keys must be plain names, found \(Self.describe(key))")
                continue
            }
            let keyPath = path.isEmpty ? name : "\(path).\(name)"
            if let first = seen[name] {
                error("duplicate-key", key, "\(keyPath): duplicate key (first written at line \(first.line))",
                      hint: "write each key once; YAML would silently keep only one of them")
                continue
            }
            seen[name] = location(key)
            guard known.contains(name) else {
                let hint: String
                if let home = elsewhere[name] {
                    hint = "'\(name)' belongs under '\(home)': write it as \(home).\(name)"
                } else if let guess = Suggestion.closest(to: name, among: known) {
                    hint = "did you mean '\(guess)'? (known keys here: \(known.joined(separator: ", ")))"
                } else {
                    hint = "known keys here: \(known.joined(separator: ", "))"
                }
                error("unknown-key", key, "\(keyPath): unknown key", hint: hint)
                continue
            }
            entries[name] = (key, value)
        }
        return entries
    }

    /// Reports `name` as missing from the mapping written at `node`.
    func missing(_ name: String, in node: Node, path: String, hint: String? = nil) {
        let keyPath = path.isEmpty ? name : "\(path).\(name)"
        error("missing-key", node, "\(keyPath): missing required key", hint: hint)
    }

    // MARK: Scalars

    /// A string scalar (quoted or plain); mappings, lists and null are errors.
    func string(_ node: Node, path: String) -> String? {
        guard case .scalar(let scalar) = node, !Self.isNull(node) else {
            wrongType(node, path, expected: "a string")
            return nil
        }
        return scalar.string
    }

    /// Exactly `true` or `false`, unquoted.
    func bool(_ node: Node, path: String) -> Bool? {
        if case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any {
            if scalar.string == "true" { return true }
            if scalar.string == "false" { return false }
        }
        wrongType(node, path, expected: "true or false",
                  hint: "write true or false (YAML 1.1 spellings such as yes, no, on, off are not accepted)")
        return nil
    }

    /// Plain decimal digits without sign or leading zeros.
    func integer(_ node: Node, path: String) -> Int? {
        if case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any,
           let value = Self.decimal(scalar.string) {
            return value
        }
        // A quoted number is a string in YAML; say so rather than leave "found '1'" a riddle.
        var hint: String? = nil
        if case .scalar(let scalar) = node, scalar.style != .plain, scalar.style != .any,
           let value = Self.decimal(scalar.string) {
            hint = "remove the quotes: \(path.split(separator: ".").last.map(String.init) ?? path): \(value)"
        }
        wrongType(node, path, expected: "a whole number", hint: hint)
        return nil
    }

    static func decimal(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 18, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        if bytes.count > 1 && bytes[0] == 0x30 { return nil }
        return Int(text)
    }

    /// The items of a list.
    func sequence(_ node: Node, path: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            wrongType(node, path, expected: "a list", hint: Self.isNull(node) ? "write [] for an empty list" : nil)
            return nil
        }
        return Array(sequence)
    }

    /// The location of the `offset`-th scalar inside a scalar's value, allowing for the quote.
    func location(inside node: Node, scalarOffset offset: Int) -> SourceLocation {
        var location = location(node)
        if case .scalar(let scalar) = node, scalar.style == .singleQuoted || scalar.style == .doubleQuoted {
            location.column += 1
        }
        location.column += offset
        return location
    }
}
