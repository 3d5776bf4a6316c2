/// A lexical pass over the text before Yams composes it.
///
/// Anchors and aliases are refused: Yams shares aliased nodes, but hashing a mapping key or
/// walking the tree visits every expansion, so a kilobyte "billion laughs" file would take
/// exponential time. Explicit tags are refused so that a value's type is what it looks like.
/// The scan only has to be right for files a policy author writes: it follows quoted scalars
/// and comments; an indicator at the start of a line inside a block scalar (`|`, `>`) is
/// reported too, which a policy never needs.
enum YAMLPrescan {
    static func firstForbiddenToken(in source: SourceText) -> Finding? {
        var inDouble = false
        var inSingle = false
        for (lineIndex, line) in source.lines.enumerated() {
            var index = 0
            var previous: Unicode.Scalar? = nil
            // The last non-blank scalar before this one on the line: a node (and so an anchor,
            // alias or tag) can only start after `:`, `-`, `?`, `[`, `{`, `,` or at the line's
            // start, not in the middle of a plain scalar such as `name: R&D lab`.
            var lastNonBlank: Unicode.Scalar? = nil
            while index < line.count {
                let scalar = line[index]
                defer {
                    previous = scalar
                    if scalar != " " && scalar != "\t" { lastNonBlank = scalar }
                    index += 1
                }
                // A byte order mark anywhere but the file's start (already dropped) is refused,
                // quoted or not: the YAML reader would drop it from a value without a word, so
                // a value that looks right would be checked as something else.
                if scalar == "\u{FEFF}" {
                    return Finding(id: "encoding", severity: .error, location: source.location(line: lineIndex + 1, column: index + 1),
                                   message: "a byte order mark (U+FEFF) inside the file, invisible in most editors: it is part of no value migfw accepts",
                                   hint: "delete it (an editor's \"show invisibles\" or `grep -n $'\\xEF\\xBB\\xBF'` finds it)")
                }
                if inDouble {
                    if scalar == "\\" { index += 1 } else if scalar == "\"" { inDouble = false }
                    continue
                }
                if inSingle {
                    if scalar == "'" {
                        if index + 1 < line.count && line[index + 1] == "'" { index += 1 } else { inSingle = false }
                    }
                    continue
                }
                let atTokenStart = previous.map { " \t[{,".unicodeScalars.contains($0) } ?? true
                let atNodeStart = lastNonBlank.map { ":-?[{,".unicodeScalars.contains($0) } ?? true
                guard atTokenStart else { continue }
                if (scalar == "&" || scalar == "*" || scalar == "!") && !atNodeStart { continue }
                switch scalar {
                case "#": index = line.count
                case "\"": inDouble = true
                case "'": inSingle = true
                case "&", "*", "!":
                    guard index + 1 < line.count, !" \t".unicodeScalars.contains(line[index + 1]) else { continue }
                    let what = scalar == "!" ? "YAML tags are" : "YAML anchors and aliases are"
                    let hint = scalar == "!"
                        ? "remove the tag; migfw reads each value's type from the key"
                        : "write the values out; aliases could make a small file expand without bound"
                    return Finding(id: scalar == "!" ? "yaml-tag" : "yaml-alias", severity: .error,
                                   location: source.location(line: lineIndex + 1, column: index + 1),
                                   message: "\(what) not supported in a policy", hint: hint)
                default: break
                }
            }
        }
        return nil
    }
}
