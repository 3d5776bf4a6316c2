import Foundation
import Prefix

/// Host names resolved through the root's `/etc/hosts` only: the audit asks no DNS server
/// and touches no network. Used for corosync node addresses and xend's relocation address.
struct RootHostsFile {
    /// Lower-cased name or alias → its addresses, in file order.
    private var addresses: [String: [AnyCIDR]] = [:]
    /// A refusal to read the file (hostile file), to report once.
    private(set) var refusal: AuditFinding?

    /// Reads `/etc/hosts` under `root`; a missing file resolves nothing.
    init(_ root: ConfigRoot) {
        switch root.read("/etc/hosts") {
        case .missing: return
        case .refused(let finding): refusal = finding
        case .text(let text):
            for raw in text.lines {
                let content = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard words.count >= 2, let address = try? PrefixParser.parse(String(words[0])), address.isHost else { continue }
                for name in words.dropFirst() { addresses[name.lowercased(), default: []].append(address) }
            }
        }
    }

    /// `value` as addresses: itself when it is an IP literal, else what `/etc/hosts` says
    /// (empty when it says nothing).
    func resolve(_ value: String) -> [AnyCIDR] {
        if let literal = Self.literal(value) { return [literal] }
        return addresses[value.lowercased()] ?? []
    }

    /// `value` when it is an IP address literal (no length).
    static func literal(_ value: String) -> AnyCIDR? {
        guard !value.contains("/"), let address = try? PrefixParser.parse(value) else { return nil }
        return address
    }
}
