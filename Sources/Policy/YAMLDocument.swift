import Yams

/// A composed YAML document whose every node still knows its line and column.
///
/// Yams stops at the first duplicate key; to report all of a file's problems at once, each
/// duplicate's first occurrence is renamed in the text (same length, so no mark moves) and the
/// text composed again. `originalKeys` maps the renamed keys back to what was written, and the
/// decoder then reports every duplicate itself.
struct YAMLDocument {
    let source: SourceText
    let root: Node
    /// Keys renamed to get past Yams' duplicate check, by their `line:column`, with their real text.
    let originalKeys: [Position: String]

    struct Position: Hashable {
        let line: Int
        let column: Int
    }

    /// The key text of a mapping key node, as written.
    func keyText(_ key: Node) -> String? {
        guard case .scalar(let scalar) = key else { return nil }
        if let mark = key.mark, let original = originalKeys[Position(line: mark.line, column: mark.column)] {
            return original
        }
        return scalar.string
    }

    func location(_ node: Node) -> SourceLocation {
        guard let mark = node.mark else { return source.location(line: 1, column: 1) }
        return source.location(line: mark.line, column: mark.column)
    }

    /// Each rename composes the text again; past this many, the remaining duplicate is
    /// reported alone, so a file full of duplicates cannot make the load slow.
    static let maximumRenames = 64

    /// Parses `source`. Empty documents, syntax errors, anchors, aliases and tags are errors.
    static func compose(_ source: SourceText) throws(PolicyError) -> YAMLDocument {
        if let problem = YAMLPrescan.firstForbiddenToken(in: source) {
            throw PolicyError([problem])
        }
        var lines = source.lines
        var originalKeys: [Position: String] = [:]
        var renames = 0
        while true {
            let text = lines.map { String(String.UnicodeScalarView($0)) }.joined(separator: "\n")
            do {
                // The basic resolver: migfw reads every scalar itself (strictly), so tag resolution by
                // pattern (the default resolver compiles a dozen regular expressions) is not needed.
                guard let root = try Yams.compose(yaml: text, .basic) else {
                    throw PolicyError([Finding(
                        id: "empty", severity: .error, location: source.location(line: 1, column: 1),
                        message: "the file is empty", hint: "a policy starts with 'version: 1'")])
                }
                return YAMLDocument(source: source, root: root, originalKeys: originalKeys)
            } catch let error as PolicyError {
                throw error
            } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
                let position = Position(line: context.mark.line, column: context.mark.column)
                guard renames < maximumRenames, let key = duplicates.first,
                      rename(key, at: position, serial: renames, in: &lines)
                else {
                    throw PolicyError([Finding(
                        id: "duplicate-key", severity: .error, location: source.location(line: position.line, column: position.column),
                        message: "duplicate key '\(duplicates.first ?? "?")'", hint: "write each key once")])
                }
                originalKeys[position] = originalKeys[position] ?? key
                renames += 1
            } catch {
                throw PolicyError([syntaxFinding(error, source)])
            }
        }
    }

    /// Replaces the key written at `position` with a placeholder of the same number of scalars.
    private static func rename(_ key: String, at position: Position, serial: Int, in lines: inout [[Unicode.Scalar]]) -> Bool {
        guard position.line >= 1, position.line <= lines.count else { return false }
        var line = lines[position.line - 1]
        var start = position.column - 1
        guard start >= 0, start < line.count else { return false }
        if line[start] == "\"" || line[start] == "'" { start += 1 }
        let keyScalars = Array(key.unicodeScalars)
        guard !keyScalars.isEmpty, start + keyScalars.count <= line.count,
              Array(line[start..<(start + keyScalars.count)]) == keyScalars
        else { return false }
        // Letters only: always a valid plain scalar. Distinct per serial, so two renamed
        // keys in one mapping never collide with each other.
        var placeholder: [Unicode.Scalar] = []
        var value = serial
        repeat {
            placeholder.insert(Unicode.Scalar(UInt8(ascii: "a") + UInt8(value % 26)), at: 0)
            value /= 26
        } while value > 0
        guard placeholder.count <= keyScalars.count else { return false }
        placeholder = Array(repeating: "Q", count: keyScalars.count - placeholder.count) + placeholder
        line.replaceSubrange(start..<(start + keyScalars.count), with: placeholder)
        lines[position.line - 1] = line
        return true
    }

    /// Maps a Yams/libyaml error to one finding at the position libyaml names.
    static func syntaxFinding(_ error: Error, _ source: SourceText) -> Finding {
        func finding(_ problem: String, _ context: YamlError.Context?, _ mark: Mark) -> Finding {
            var message = "invalid YAML: \(problem)"
            if let context, context.mark.line != mark.line || context.mark.column != mark.column {
                message += " (\(context.text) at line \(context.mark.line))"
            } else if let context {
                message += " (\(context.text))"
            }
            return Finding(id: "syntax", severity: .error,
                           location: source.location(line: mark.line, column: mark.column), message: message)
        }
        switch error {
        case YamlError.scanner(let context, let problem, let mark, _),
             YamlError.parser(let context, let problem, let mark, _),
             YamlError.composer(let context, let problem, let mark, _):
            return finding(problem, context, mark)
        case YamlError.reader(let problem, let offset, _, _):
            return Finding(id: "syntax", severity: .error, location: source.location(scalarOffset: offset ?? 0),
                           message: "invalid YAML: \(problem)")
        default:
            return Finding(id: "syntax", severity: .error, location: source.location(line: 1, column: 1),
                           message: "invalid YAML: \(error)")
        }
    }
}
