import Foundation

/// A policy that `apply --confirm` rolled back because nobody confirmed it (or the apply
/// failed after its batch went out, or was interrupted while waiting).
///
/// The policy file still says what was rolled back, so without this record the next
/// `reconcile` from a timer would "repair" the kernel straight back to the ruleset that was
/// just refused, the one that may lock the admin out, undoing the rollback within a minute.
/// While the record exists, `reconcile` commits nothing at all (exit 1; in-sync runs and
/// intrusion alerts go on): matching only the refused policy would let the next change of
/// a prefix feed turn it into "another" policy and bring the refused change back. A
/// deliberate `apply` that commits, or a confirmed `apply --confirm`, clears it. It is tied
/// to the boot and the namespace (its cookie), like ``ApplyState``.
public struct RolledBackPolicy: Equatable, Sendable {
    /// ``RulesetDigest`` of the ruleset that was rolled back.
    public var digest: UInt64
    /// When, in seconds since 1970.
    public var time: Int
    /// The boot and the namespace it was written in (``ApplyState/namespaceID(_:)``).
    public var bootID: String
    public var namespaceID: UInt64
    /// Why it was rolled back ("not confirmed within 60 s", ...).
    public var reason: String

    public init(digest: UInt64, time: Int = Int(Date().timeIntervalSince1970), bootID: String = ApplyState.currentBootID,
                namespaceID: UInt64, reason: String) {
        self.digest = digest
        self.time = time
        self.bootID = bootID
        self.namespaceID = namespaceID
        self.reason = reason
    }

    /// Whether the record was written in this boot, in `namespace` (nil: the current one).
    public func belongs(toNamespace namespace: String?) -> Bool {
        ApplyState.isCurrent(bootID: bootID, namespaceID: namespaceID, identity: ApplyState.namespaceID(namespace))
    }

    /// The record for `namespace` if there is one from this boot and this namespace (a record
    /// from a namespace deleted and created again under the same name is removed).
    public static func current(directory: String, namespace: String?) -> RolledBackPolicy? {
        let path = path(directory: directory, namespace: namespace)
        guard let record = load(path: path) else { return nil }
        guard record.belongs(toNamespace: namespace) else {
            forget(path: path)
            return nil
        }
        return record
    }

    /// The record for `namespace` (nil: the current one) in `directory`.
    public static func path(directory: String, namespace: String?) -> String {
        directory + "/rolled-back-" + (namespace ?? "default")
    }

    /// The record at `path`, nil when there is none (or it is unreadable: then nothing is
    /// refused, which is what there was before the record existed).
    public static func load(path: String) -> RolledBackPolicy? {
        guard OwnFiles.isPrivateDirectory(OwnFiles.directoryPart(of: path)),
              let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, let digest = UInt64(parts[0], radix: 16), let time = Int(parts[1]),
              let namespaceID = UInt64(parts[3], radix: 16)
        else { return nil }
        return RolledBackPolicy(digest: digest, time: time, bootID: parts[2] == "-" ? "" : String(parts[2]), namespaceID: namespaceID,
                                reason: parts[4].trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Writes the record (`DIGEST TIME BOOT-ID NAMESPACE-ID REASON`, one line).
    public func save(path: String) throws(EngineError) {
        let line = String(digest, radix: 16) + " \(time) \(bootID.isEmpty ? "-" : bootID) " + String(namespaceID, radix: 16)
            + " " + reason.replacingOccurrences(of: "\n", with: " ") + "\n"
        try OwnFiles.requirePrivateDirectory(OwnFiles.directoryPart(of: path))
        try OwnFiles.replace(path, with: line)
    }

    /// Removes the record (a deliberate apply committed).
    public static func forget(path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// The time as `2026-11-29 21:40:05 UTC`.
    public var timeText: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(time)))
    }
}
