import Foundation
import Prefix

/// The node list of a `corosync.conf`: `section {` ... `}` blocks that nest, `key: value`
/// lines inside them and `#` comment lines. Only `nodelist { node { ... } }` is kept: each
/// node's `name` and its addresses (keys `ring<N>_addr` / `link<N>_addr`, as Proxmox's
/// Corosync.pm matches them).
struct CorosyncConf {
    /// One `ringN_addr`/`linkN_addr` line of a node: an address or a host name.
    struct Address: Hashable {
        var key: String
        var value: String
        var line: Int
    }

    /// One `node { }` block of the `nodelist`.
    struct Node: Hashable {
        /// The `name:` value, when there is one.
        var name: String?
        /// Where the block opens.
        var line: Int
        var addresses: [Address] = []

        /// How a message names the node: its name, or where its block opens.
        var label: String { name.map { "node \(Excerpt.quoted($0))" } ?? "the node at line \(line)" }
    }

    /// Braces that do not balance: corosync cannot read the file.
    struct SyntaxError: Hashable {
        var line: Int
        var message: String
    }

    var nodes: [Node] = []
    /// The first unbalanced brace, if any.
    var syntaxError: SyntaxError?

    init(_ text: ConfigText) {
        var open: [(name: String, line: Int)] = []
        var node: Node?
        for (index, raw) in text.lines.enumerated() {
            let number = index + 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if let brace = line.firstIndex(of: "{") {
                let name = line[..<brace].trimmingCharacters(in: .whitespaces)
                open.append((name, number))
                if name == "node", open.map(\.name) == ["nodelist", "node"] { node = Node(line: number) }
            } else if line.hasPrefix("}") {
                guard let closed = open.popLast() else {
                    syntaxError = SyntaxError(line: number, message: "'}' closes no section")
                    return
                }
                if closed.name == "node", open.map(\.name) == ["nodelist"], let finished = node {
                    nodes.append(finished)
                    node = nil
                }
            } else if let colon = line.firstIndex(of: ":"), open.map(\.name) == ["nodelist", "node"] {
                let key = line[..<colon].trimmingCharacters(in: .whitespaces)
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if key == "name" {
                    node?.name = value
                } else if Self.isAddressKey(key) {
                    node?.addresses.append(Address(key: key, value: value, line: number))
                }
            }
        }
        if let unclosed = open.last {
            let name = Excerpt.quoted(unclosed.name, limit: Excerpt.fileTokenCharacters)
            syntaxError = SyntaxError(line: unclosed.line, message: "section '\(name)' opened here is never closed")
        }
    }

    /// Whether `key` is a node address key: `^(ring|link)\d+_addr$`.
    static func isAddressKey(_ key: String) -> Bool {
        for head in ["ring", "link"] where key.hasPrefix(head) && key.hasSuffix("_addr") {
            let digits = key.dropFirst(head.count).dropLast("_addr".count)
            return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
        }
        return false
    }
}
