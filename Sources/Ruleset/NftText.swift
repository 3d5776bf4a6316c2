/// Renders a ``Table`` as text that `nft -f` loads, and single rules for plan/diff display.
///
/// Rules the compiler writes are rendered in nft's own syntax. A rule decoded from the kernel
/// that is not one of migfw's idioms is shown as its raw expressions in `nft --debug` form
/// (readable, though not loadable), so a diff never hides what the kernel holds.
public enum NftText {
    /// The whole table: `table inet migfw { sets... chains... }`.
    public static func render(_ table: Table) -> String {
        var lines: [String] = ["table \(table.family.rawValue) \(table.name) {"]
        var blocks: [[String]] = table.sets.map(setLines)
        blocks += table.chains.map { chainLines($0, family: table.family) }
        for (index, block) in blocks.enumerated() {
            if index > 0 { lines.append("") }
            lines += block
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// One rule, e.g. `ip saddr @trusted4 tcp dport @tcp_ports counter accept`.
    public static func render(rule: Rule) -> String {
        var text: String
        if let statements = RuleDecoder.statements(rule.expressions), let rendered = render(statements) {
            text = rendered
        } else {
            text = NftDebug.render(rule.expressions).joined(separator: " ")
        }
        if let comment = rule.comment { text += " comment \"\(comment)\"" }
        return text
    }

    /// A set's definition, e.g. `set trusted4 { type ipv4_addr; flags interval; elements = {...} }`.
    public static func render(set: NamedSet) -> String {
        setLines(set).joined(separator: "\n") + "\n"
    }

    /// A base chain's header, e.g. `type filter hook input priority filter; policy accept;`.
    /// nft names the filter priority 0 in most families, -200 in `bridge`.
    public static func render(base: BaseChain, family: TableFamily = .inet) -> String {
        let filter: Int32 = family == .bridge ? BaseChain.bridgeFilterPriority : 0
        let priority = base.priority == filter ? "filter" : "\(base.priority)"
        let policy = base.policy == .drop ? "drop" : "accept"
        return "type \(base.type.rawValue) hook \(base.hook.rawValue) priority \(priority); policy \(policy);"
    }

    /// Statements in nft syntax, or nil if one of them has no text form.
    static func render(_ statements: [Statement]) -> String? {
        var words: [String] = []
        for statement in statements {
            guard let word = render(statement) else { return nil }
            words.append(word)
        }
        return words.joined(separator: " ")
    }

    static func render(_ statement: Statement) -> String? {
        switch statement {
        case .match(let match):
            guard let value = render(match.value, of: match.field) else { return nil }
            return ValueText.name(match.field) + (match.negated ? " != " : " ") + value
        case .counter:
            return "counter"
        case .limit(let rate, let unitSeconds, let burst, let over):
            guard let unit = ValueText.unitName(unitSeconds) else { return nil }
            var text = "limit rate \(over ? "over " : "")\(rate)/\(unit)"
            if burst != Statement.defaultBurst { text += " burst \(burst) packets" }
            return text
        case .log(let prefix, let level):
            var text = "log"
            if let prefix {
                guard ValueText.quotable(prefix) else { return nil }
                text += " prefix \"\(prefix)\""
            }
            if let level { text += " level \(ValueText.levelName(level))" }
            return text
        case .verdict(let verdict):
            switch verdict {
            case .accept: return "accept"
            case .drop: return "drop"
            case .continue: return "continue"
            case .return: return "return"
            case .jump(let chain): return "jump \(chain)"
            case .goto(let chain): return "goto \(chain)"
            }
        case .update(let set, let key):
            return "update @\(set) { \(ValueText.name(key)) }"
        }
    }

    static func render(_ value: MatchValue, of field: MatchField) -> String? {
        switch value {
        case .interface(let name):
            return ValueText.quotable(name) ? "\"\(name)\"" : nil
        case .ctState(let state):
            return ValueText.ctStateNames(state)?.joined(separator: ",")
        case .value(let bytes):
            return ValueText.value(bytes, of: field, json: false)
        case .range(let from, let to):
            return ValueText.value(from, of: field, json: false, inRange: true) + "-"
                + ValueText.value(to, of: field, json: false, inRange: true)
        case .set(let name):
            return "@" + name
        }
    }

    private static func setLines(_ set: NamedSet) -> [String] {
        var lines = ["\tset \(set.name) {", "\t\ttype \(set.keyType.rawValue)"]
        var flags: [String] = []
        if let size = set.size { lines.append("\t\tsize \(size)") }
        if set.flags.contains(.constant) { flags.append("constant") }
        if set.flags.contains(.interval) { flags.append("interval") }
        if set.flags.contains(.eval) { flags.append("dynamic") }
        if set.flags.contains(.timeout) { flags.append("timeout") }
        if !flags.isEmpty { lines.append("\t\tflags " + flags.joined(separator: ",")) }
        if set.elementCounter { lines.append("\t\tcounter") }
        if let timeout = set.timeoutMilliseconds { lines.append("\t\ttimeout " + ValueText.duration(milliseconds: timeout)) }
        let elements = set.elements.textElements
        if !elements.isEmpty {
            // One element a line: large sets stay diffable line by line.
            lines.append("\t\telements = {")
            lines.reserveCapacity(lines.count + elements.count + 3)
            for (index, element) in elements.enumerated() {
                lines.append("\t\t\t" + element + (index + 1 < elements.count ? "," : ""))
            }
            lines.append("\t\t}")
        }
        lines.append("\t}")
        return lines
    }

    private static func chainLines(_ chain: Chain, family: TableFamily) -> [String] {
        var lines = ["\tchain \(chain.name) {"]
        if let base = chain.base { lines.append("\t\t" + render(base: base, family: family)) }
        lines += chain.rules.map { "\t\t" + render(rule: $0) }
        lines.append("\t}")
        return lines
    }
}
