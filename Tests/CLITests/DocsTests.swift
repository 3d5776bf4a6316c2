import Foundation
import Testing
import TestSupport

/// README.md and docs/*.md against the binary and the tree: every `migfw SUBCOMMAND --option`
/// they write exists (`migfw SUBCOMMAND --help` lists it), and every relative link reaches a
/// file (and a heading, for `#fragment`). Docs that name a renamed option fail here, not a user.
@Suite struct DocsTests {
    /// A Markdown page, split into what is code (fenced blocks, inline spans) and what links.
    struct Page {
        let path: String            // relative to the package root
        let text: String

        static func all() throws -> [Page] {
            let docs = packageRoot.appendingPathComponent("docs")
            let names = try FileManager.default.contentsOfDirectory(atPath: docs.path)
                .filter { $0.hasSuffix(".md") }.sorted()
            return try (["README.md"] + names.map { "docs/\($0)" }).map {
                Page(path: $0, text: try String(contentsOf: packageRoot.appendingPathComponent($0), encoding: .utf8))
            }
        }

        /// (fenced code lines, prose outside fences); a line ending in `\` joins the next.
        var parts: (code: [String], prose: String) {
            var code: [String] = [], prose: [String] = [], fenced = false, pending = ""
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
                if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                    fenced.toggle()
                    continue
                }
                guard fenced else { prose.append(line); continue }
                if line.hasSuffix("\\") { pending += line.dropLast() + " "; continue }
                code.append(pending + line)
                pending = ""
            }
            return (code, prose.joined(separator: "\n"))
        }

        /// The prose's paragraphs cut at backticks: odd pieces are inline code (a span may
        /// wrap lines, never paragraphs, so one stray backtick spoils one paragraph only).
        var pieces: [(code: Bool, text: String)] {
            parts.prose.components(separatedBy: "\n\n").flatMap { paragraph in
                paragraph.split(separator: "`", omittingEmptySubsequences: false).enumerated()
                    .map { ($0.offset % 2 == 1, $0.element.replacingOccurrences(of: "\n", with: " ")) }
            }
        }

        /// Inline code spans of the prose.
        var inlineCode: [String] { pieces.filter(\.code).map(\.text) }

        /// Link targets `[text](target)` of the prose, inline code removed.
        var links: [String] {
            let prose = pieces.filter { !$0.code }.map(\.text).joined(separator: " ")
            var targets: [String] = []
            var rest = prose[...]
            while let open = rest.range(of: "](") {
                let after = rest[open.upperBound...]
                guard let close = after.firstIndex(of: ")") else { break }
                targets.append(String(after[..<close]))
                rest = after[close...]
            }
            return targets
        }

        /// GitHub's anchors for the page's headings (outside code blocks).
        var anchors: Set<String> {
            var seen: [String: Int] = [:], result: Set<String> = []
            for line in parts.prose.split(separator: "\n") where line.hasPrefix("#") {
                let title = line.drop { $0 == "#" }
                guard title.first == " " else { continue }
                let slug = String(title.dropFirst().lowercased()
                    .filter { $0.isLetter || $0.isNumber || $0 == " " || $0 == "-" || $0 == "_" }
                    .map { $0 == " " ? "-" : $0 })
                let count = seen[slug, default: 0]
                seen[slug] = count + 1
                result.insert(count == 0 ? slug : "\(slug)-\(count)")
            }
            return result
        }
    }

    /// One `migfw ...` written in the docs: the subcommand (nil for `migfw --version`) and
    /// the options after it, up to the end of that shell command.
    struct Invocation: CustomStringConvertible {
        let page: String
        let subcommand: String?
        let options: [String]
        let text: String
        var description: String { "\(page): `\(text)`" }
    }

    /// The subcommands `migfw --help` lists.
    static let subcommands: Set<String> = {
        guard let help = try? migfw(["--help"]).stdout,
              let list = help.range(of: "SUBCOMMANDS:") else { return [] }
        return Set(help[list.upperBound...].split(separator: "\n").compactMap { line in
            guard line.hasPrefix("  "), line.dropFirst(2).first?.isLowercase == true else { return nil }
            return String(line.dropFirst(2).prefix { $0.isLetter || $0 == "-" })
        })
    }()

    /// The invocations in a piece of code. A `migfw` word that starts the command (or
    /// follows `$`, `sudo`, a pipe, cron's user) must name a subcommand; elsewhere (output
    /// such as "what migfw accepts", `table inet migfw {`) only a known subcommand counts.
    static func invocations(in code: String, page: String) -> [Invocation] {
        // One shell command at a time; a comment ends the line's command.
        let commands = code.components(separatedBy: " #").first!
            .components(separatedBy: "|").flatMap { $0.components(separatedBy: "&&") }
            .flatMap { $0.components(separatedBy: ";") }
        var found: [Invocation] = []
        for command in commands {
            let words = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            for (index, word) in words.enumerated() where word == "migfw" || word.hasSuffix("/migfw") {
                guard index + 1 < words.count else { continue }
                let previous = words[..<index].last { !$0.contains("=") }
                if previous == "inet" || previous == "bridge" { continue }
                let next = words[index + 1]
                let leads = previous == nil || ["$", "sudo", "root", "exec"].contains(previous!)
                let rest = words[(index + 1)...]
                let options = rest.compactMap { option($0) }
                if next.hasPrefix("-") {
                    found.append(Invocation(page: page, subcommand: nil, options: options, text: command))
                } else if subcommands.contains(next) || (leads && next.allSatisfy(\.isLetter)) {
                    found.append(Invocation(page: page, subcommand: next, options: options,
                                            text: command.trimmingCharacters(in: .whitespaces)))
                }
            }
        }
        return found
    }

    /// `--name` of a word such as `[--netns`, `--verify=full`, `--json)`; `-c` for a short one.
    static func option(_ word: String) -> String? {
        let trimmed = word.drop { $0 == "[" || $0 == "(" }
        if trimmed.hasPrefix("--") {
            let name = trimmed.dropFirst(2).prefix { $0.isLetter || $0.isNumber || $0 == "-" }
            return name.isEmpty ? nil : "--" + name
        }
        if trimmed.count >= 2, trimmed.first == "-", trimmed.dropFirst().first!.isLetter,
           trimmed.dropFirst(2).allSatisfy({ !$0.isLetter && !$0.isNumber }) {
            return String(trimmed.prefix(2))
        }
        return nil
    }

    static func allInvocations() throws -> [Invocation] {
        try Page.all().flatMap { page in
            let (code, _) = page.parts
            return (code + page.inlineCode).flatMap { invocations(in: $0, page: page.path) }
        }
    }

    /// The option names `migfw [SUBCOMMAND] --help` lists.
    static func helpOptions(_ subcommand: String?) throws -> Set<String>? {
        let result = try migfw((subcommand.map { [$0] } ?? []) + ["--help"])
        guard result.status == 0 else { return nil }
        var names: Set<String> = []
        for word in result.stdout.split(whereSeparator: { " \n,<>[]=".contains($0) }) {
            if let name = option(String(word)) { names.insert(name) }
        }
        return names
    }

    @Test func everyCommandAndOptionInTheDocsExists() throws {
        let all = try Self.allInvocations()
        // The parser itself must see the docs' commands, or this test checks nothing.
        #expect(all.count > 50, "only \(all.count) migfw commands found in README.md and docs/")
        #expect(Self.subcommands.count >= 12, "`migfw --help` lists \(Self.subcommands.sorted())")
        let readme = Set(all.filter { $0.page == "README.md" }.compactMap(\.subcommand))
        #expect(readme.isSuperset(of: Self.subcommands),
                "README.md has no example of \(Self.subcommands.subtracting(readme).sorted())")
        var help: [String: Set<String>?] = [:]
        for invocation in all {
            let key = invocation.subcommand ?? ""
            if help[key] == nil { help[key] = try Self.helpOptions(invocation.subcommand) }
            guard let known = help[key]! else {
                Issue.record("\(invocation): `migfw \(key)` is no subcommand")
                continue
            }
            for option in invocation.options where !known.contains(option) {
                Issue.record("\(invocation): `migfw \(key) --help` has no \(option)")
            }
        }
    }

    @Test func everyRelativeLinkReachesAFile() throws {
        let pages = try Page.all()
        var anchors: [String: Set<String>] = [:]
        var checked = 0
        for page in pages {
            let directory = (page.path as NSString).deletingLastPathComponent
            for link in page.links where !link.contains("://") && !link.hasPrefix("mailto:") {
                checked += 1
                let parts = link.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                let file = parts[0].isEmpty ? page.path
                    : ((directory as NSString).appendingPathComponent(String(parts[0])) as NSString).standardizingPath
                let url = packageRoot.appendingPathComponent(file)
                guard FileManager.default.fileExists(atPath: url.path) else {
                    Issue.record("\(page.path): link \(link): \(file) does not exist")
                    continue
                }
                guard parts.count == 2, file.hasSuffix(".md") else { continue }
                if anchors[file] == nil {
                    anchors[file] = Page(path: file, text: try String(contentsOf: url, encoding: .utf8)).anchors
                }
                #expect(anchors[file]!.contains(String(parts[1])), "\(page.path): link \(link): \(file) has no heading #\(parts[1])")
            }
        }
        #expect(checked > 10, "only \(checked) relative links found")
    }

    /// CI and BecomeRootTests run the README's two commands exactly as written.
    @Test func readmeKeepsTheQuickStartAndTestCommands() throws {
        let readme = try #require(try Page.all().first { $0.path == "README.md" })
        for command in ["bash samples/quickstart.sh", "bash Tests/run.sh"] {
            #expect(readme.parts.code.contains(command), "README.md has no code line `\(command)`")
        }
    }
}
