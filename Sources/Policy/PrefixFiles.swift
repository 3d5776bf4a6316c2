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

/// Reads the prefix-list files `trusted.files` matched, with the Prefix module's
/// `PrefixListReader` (one prefix a line, `#` comments, blank lines). Every bad line of a
/// file is reported with that file's name, line and column; a file with any bad line
/// contributes no prefixes.
enum PrefixListFile {
    /// Appends the prefixes of the file at `path` to `prefixes` (in place: a 100k-line feed
    /// is not copied again), or, when the file has any bad line, none of them.
    static func read(path: String, into prefixes: inout PrefixListEntries) -> [Finding] {
        let before = prefixes.count
        // Room for the usual line length ("192.0.2.0/24\n"), so a large feed is not copied
        // as the arrays grow.
        if case .success(let facts) = FileFacts.of(path) {
            prefixes.reserveCapacity(adding: min(facts.size, PrefixListReader.defaultSizeLimit) / 14)
        }
        prefixes.beginFile(path)
        var mapped: [Finding] = []
        var firstPrefixLine = Int.max
        let problems: [PrefixListError]
        do {
            problems = try PrefixListReader().forEachPrefixCollectingErrors(in: .file(path)) { prefix, line, column in
                firstPrefixLine = min(firstPrefixLine, line)
                // As in a policy, a mapped address would trust nothing; aggregate keeps them.
                if let v4 = prefix.ipv4Mapped {
                    let location = SourceLocation(file: path, line: line, column: column)
                    mapped.append(Finding(
                        id: "prefix", severity: .error, location: location,
                        message: "'\(prefix)' is an IPv4-mapped IPv6 address, which never matches IPv4 traffic",
                        hint: "write it as IPv4: \(v4.length == 32 ? "\(v4.address)" : "\(v4)")"))
                }
                prefixes.append(prefix, line: line, column: column)
            }
        } catch {
            problems = [error]
        }
        // A file that does not start as a prefix list (a credentials file, a key, a binary
        // matched by a glob or behind a symlink) is refused whole, quoting nothing of it.
        let firstBadLine = problems.map(\.line).filter { $0 > 0 }.min() ?? Int.max
        if firstBadLine < firstPrefixLine {
            prefixes.truncate(to: before)
            return [Finding(
                id: "prefix-list", severity: .error, location: SourceLocation(file: path, line: firstBadLine, column: 1),
                message: "not a prefix list: "
                    + (firstPrefixLine == Int.max ? "no line of it is an address or prefix" : "it starts with lines that are not addresses or prefixes")
                    + " (nothing of it is quoted here)",
                hint: "point the pattern at files of one address or prefix a line ('#' comments allowed)")]
        }
        var findings = PolicyLoader.sorted(problems.map(finding) + mapped, primary: path)
        // A binary or wrong file can be bad on every line; the first ones say enough.
        let shown = PolicyLinter.maximumFindingsPerID
        if findings.count > shown {
            let first = findings[shown]
            findings = Array(findings.prefix(shown)) + [Finding(
                id: first.id, severity: .error, location: first.location,
                message: "\(findings.count - shown) more bad lines in this file not shown")]
        }
        if !findings.isEmpty { prefixes.truncate(to: before) }
        return findings
    }

    private static func finding(_ error: PrefixListError) -> Finding {
        let id: String
        if case .invalidPrefix = error.reason { id = "prefix" } else { id = "prefix-list" }
        let location = SourceLocation(file: error.source, line: max(error.line, 1), column: max(error.column, 1))
        return Finding(id: id, severity: .error, location: location, message: error.message, hint: error.hint)
    }
}
