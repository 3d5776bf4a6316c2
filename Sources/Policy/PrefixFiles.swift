import Foundation
import Glibc
import Prefix

/// `trusted.files`: glob patterns of prefix-list files, expanded without a shell.
enum PathGlob {
    /// The files `pattern` matches, sorted. A relative pattern is relative to `base`.
    /// Wildcards (`*`, `?`, `[...]`) work per path component, as in glob(3); a wildcard
    /// never matches a leading dot, so editor backups like `.x.txt.swp` stay out.
    static func expand(_ pattern: String, relativeTo base: String, limit: Int) -> [String] {
        // Paths are built from what the user wrote, so messages show them as written.
        var candidates = [pattern.hasPrefix("/") ? "/" : (base == "." ? "" : base)]
        func join(_ directory: String, _ name: String) -> String {
            directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name)
        }
        for component in pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init) {
            var next: [String] = []
            let hasWildcard = component.contains(where: { "*?[".contains($0) })
            for directory in candidates {
                if hasWildcard {
                    let listed = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
                    for entry in listed.sorted() where fnmatch(component, entry, FNM_PERIOD) == 0 {
                        next.append(join(directory, entry))
                        if next.count > limit { return next }
                    }
                } else {
                    let path = join(directory, component)
                    if FileManager.default.fileExists(atPath: path) { next.append(path) }
                }
            }
            candidates = next
            if candidates.isEmpty { break }
        }
        var isDirectory: ObjCBool = false
        return candidates.filter {
            FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }.sorted()
    }
}

/// Reads prefix-list files: one address or prefix a line, `#` starts a comment, blank lines
/// are skipped, surrounding whitespace is ignored. Every bad line is reported with its file,
/// line and column, up to a bound per file.
enum PrefixListFile {
    static let maximumBytes = 64 * 1024 * 1024
    static let maximumErrorsPerFile = 50

    static func read(path: String) -> (prefixes: [Located<AnyCIDR>], findings: [Finding]) {
        let source: SourceText
        do {
            source = try SourceText.read(path: path, limit: maximumBytes, what: "the prefix list file")
        } catch {
            return ([], error.findings)
        }
        var prefixes: [Located<AnyCIDR>] = []
        var findings: [Finding] = []
        var suppressed = 0
        for (index, line) in source.lines.enumerated() {
            var end = line.firstIndex(of: "#") ?? line.count
            var start = 0
            while start < end && isSpace(line[start]) { start += 1 }
            while end > start && isSpace(line[end - 1]) { end -= 1 }
            guard start < end else { continue }
            let text = String(String.UnicodeScalarView(line[start..<end]))
            do {
                let prefix = try PrefixParser.parse(text)
                prefixes.append(Located(prefix, at: source.location(line: index + 1, column: start + 1)))
            } catch {
                guard findings.count < maximumErrorsPerFile else { suppressed += 1; continue }
                let column = start + 1 + String(decoding: text.utf8.prefix(error.offset), as: UTF8.self).unicodeScalars.count
                findings.append(Finding(id: "prefix", severity: .error,
                                        location: source.location(line: index + 1, column: column),
                                        message: error.message, hint: error.hint))
            }
        }
        if suppressed > 0 {
            findings.append(Finding(id: "prefix", severity: .error, location: source.location(line: 1, column: 1),
                                    message: "\(suppressed) more invalid lines in this file not shown"))
        }
        return (prefixes, findings)
    }

    private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\u{0B}" || scalar == "\u{0C}"
    }
}
