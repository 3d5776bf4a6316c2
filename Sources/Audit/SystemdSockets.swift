import Foundation

/// The systemd socket units a root enables, read from the files alone (no systemctl): a unit
/// is enabled when a `*.wants/` directory under /etc/systemd/system links it.
final class SystemdSockets {
    let root: ConfigRoot
    /// Directories and unit files that could not be read: reported, never taken as absent.
    private(set) var refusals: [AuditFinding] = []

    init(root: ConfigRoot) { self.root = root }

    /// The names in `path`, a refusal recorded when it cannot be listed.
    private func names(_ path: String) -> [String] {
        switch root.listing(path) {
        case .success(let names): return names
        case .failure(let refusal):
            if !refusals.contains(refusal) { refusals.append(refusal) }
            return []
        }
    }
    static let unitDirectories = ["/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
                                  "/usr/lib/systemd/system", "/lib/systemd/system"]

    /// The `.wants` link that enables `unit`, as a display path; nil when none does.
    func enablingLink(_ unit: String) -> String? {
        let directory = "/etc/systemd/system"
        return names(directory).filter { $0.hasSuffix(".wants") }
            .first { names("\(directory)/\($0)").contains(unit) }
            .map { root.display("\(directory)/\($0)/\(unit)") }
    }

    /// One `ListenStream=` value with where it was written.
    struct Listen {
        var value: String
        var file: String
        var line: Int
        /// Whether it binds every address: a bare port, `0.0.0.0:P`, `[::]:P` or `*:P`.
        var isEveryAddress: Bool {
            if value.allSatisfy(\.isNumber) { return true }
            return ["0.0.0.0:", "[::]:", "*:", "::"].contains { value.hasPrefix($0) }
        }
    }

    /// The unit's effective `ListenStream=` values: the unit file (the first directory that
    /// has it) then its drop-ins in name order; an empty `ListenStream=` clears the list.
    func listenStreams(_ unit: String) -> [Listen] {
        var files: [String] = []
        if let main = Self.unitDirectories.map({ "\($0)/\(unit)" }).first(where: root.exists) { files.append(main) }
        var dropIns: [String: String] = [:]
        for directory in Self.unitDirectories.reversed() {
            for name in names("\(directory)/\(unit).d") where name.hasSuffix(".conf") {
                dropIns[name] = "\(directory)/\(unit).d/\(name)"
            }
        }
        files += dropIns.keys.sorted().compactMap { dropIns[$0] }
        var result: [Listen] = []
        for file in files {
            let text: ConfigText
            switch root.read(file) {
            case .text(let read): text = read
            case .missing: continue
            case .refused(let refusal):
                if !refusals.contains(refusal) { refusals.append(refusal) }
                continue
            }
            var section = ""
            for (index, raw) in text.lines.enumerated() {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.hasPrefix("[") { section = line }
                guard section == "[Socket]", line.hasPrefix("ListenStream") else { continue }
                let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "ListenStream" else { continue }
                let value = parts[1].trimmingCharacters(in: .whitespaces)
                if value.isEmpty { result.removeAll() } else {
                    result.append(Listen(value: value, file: text.shown, line: index + 1))
                }
            }
        }
        return result
    }
}
