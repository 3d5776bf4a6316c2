import Prefix
import Yams

extension NodeReader {
    /// An address or prefix, parsed by `PrefixParser`; an error points at the column inside
    /// the value where the problem starts and carries the parser's hint.
    func prefix(_ node: Node, path: String) -> Located<AnyCIDR>? {
        guard let text = string(node, path: path) else { return nil }
        do {
            let prefix = try PrefixParser.parse(text)
            // A mapped address never appears in an IPv6 header: the kernel hands IPv4 traffic
            // to the IPv4 rules, so `::ffff:10.0.0.5` would trust nothing (and lint as public).
            if let v4 = prefix.ipv4Mapped {
                let ipv4 = v4.length == 32 ? "\(v4.address)" : "\(v4)"
                self.error("prefix", node, "\(path): '\(text)' is an IPv4-mapped IPv6 address, which never matches IPv4 traffic",
                           hint: "write it as IPv4: \(ipv4)")
                return nil
            }
            return Located(prefix, at: location(node))
        } catch {
            let offset = String(decoding: text.utf8.prefix(error.offset), as: UTF8.self).unicodeScalars.count
            self.error("prefix", at: location(inside: node, scalarOffset: offset), "\(path): \(error.message)", hint: error.hint)
            return nil
        }
    }

    /// A list of addresses or prefixes.
    func prefixes(_ node: Node, path: String) -> [Located<AnyCIDR>] {
        guard let items = sequence(node, path: path) else { return [] }
        return items.enumerated().compactMap { index, item in prefix(item, path: "\(path)[\(index)]") }
    }

    /// One port entry: `6600`, `49152-49215`, `udp/5000`.
    func port(_ node: Node, path: String) -> Located<MigrationPort>? {
        guard case .scalar(let scalar) = node, !Self.isNull(node) else {
            error("type", node, "\(path): expected a port such as 6600, 49152-49215 or udp/5000, found \(Self.describe(node))")
            return nil
        }
        switch PortSyntax.parse(scalar.string) {
        case .success(let port): return Located(port, at: location(node))
        case .failure(let problem):
            error("port", at: location(inside: node, scalarOffset: problem.offset), "\(path): \(problem.message)", hint: problem.hint)
            return nil
        }
    }

    /// A list of port entries.
    func ports(_ node: Node, path: String) -> [Located<MigrationPort>] {
        guard let items = sequence(node, path: path) else { return [] }
        return items.enumerated().compactMap { index, item in port(item, path: "\(path)[\(index)]") }
    }

    /// One of `allowed` values, with a did-you-mean for a near miss.
    func choice(_ node: Node, path: String, allowed: [String]) -> String? {
        guard let text = string(node, path: path) else { return nil }
        if allowed.contains(text) { return text }
        let list = allowed.joined(separator: ", ")
        let hint = Suggestion.closest(to: text, among: allowed).map { "did you mean '\($0)'? (one of \(list))" } ?? "one of \(list)"
        error("value", node, "\(path): '\(text)' is not a known value", hint: hint)
        return nil
    }
}
