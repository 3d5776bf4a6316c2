import Foundation

/// What the last `reconcile --audit` found, kept in the state directory: `status` shows it,
/// and the next run logs only the error findings that are new.
public struct AuditRecord: Codable, Equatable, Sendable {
    /// When, in seconds since 1970.
    public var time: Int
    public var errors: Int
    public var warnings: Int
    public var infos: Int
    /// Each error finding as one line, `FILE:LINE: message [id]`.
    public var errorFindings: [String]

    public init(time: Int = Int(Date().timeIntervalSince1970), errors: Int, warnings: Int, infos: Int, errorFindings: [String]) {
        self.time = time
        self.errors = errors
        self.warnings = warnings
        self.infos = infos
        self.errorFindings = errorFindings
    }

    /// The record for `namespace` (nil: the current one) in `directory`.
    public static func path(directory: String, namespace: String?) -> String {
        directory + "/audit-" + (namespace ?? "default") + ".json"
    }

    /// The record at `path`; nil when there is none, it is unreadable or the directory is
    /// not migfw's own (then nothing is shown rather than something planted).
    public static func load(path: String) -> AuditRecord? {
        guard OwnFiles.isPrivateDirectory(OwnFiles.directoryPart(of: path)),
              let data = FileManager.default.contents(atPath: path), data.count < 1 << 20 else { return nil }
        return try? JSONDecoder().decode(AuditRecord.self, from: data)
    }

    /// Writes the record atomically, in a private directory.
    public func save(path: String) throws(EngineError) {
        try OwnFiles.requirePrivateDirectory(OwnFiles.directoryPart(of: path))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data()
        try OwnFiles.replace(path, with: [UInt8](data))
    }

    /// The error findings of this record that `previous` did not have.
    public func newErrors(since previous: AuditRecord?) -> [String] {
        let known = Set(previous?.errorFindings ?? [])
        return errorFindings.filter { !known.contains($0) }
    }

    /// `N errors, N warnings, N notes`.
    public var summary: String {
        func noun(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        return "\(noun(errors, "error")), \(noun(warnings, "warning")), \(noun(infos, "note"))"
    }
}
