import Foundation

/// A policy that `apply --confirm` rolled back because nobody confirmed it (or the apply
/// failed after its commit, or was interrupted while waiting).
///
/// The policy file still says what was rolled back, so without this record the next
/// `reconcile` from a timer would "repair" the kernel straight back to the ruleset that was
/// just refused, the one that may lock the admin out, undoing the rollback within a minute.
/// `reconcile` refuses a policy whose ruleset digest matches this record (exit 1, the kernel
/// left as the rollback made it); a deliberate `apply` that commits clears it, and so does a
/// changed policy (another digest).
public struct RolledBackPolicy: Equatable, Sendable {
    /// ``RulesetDigest`` of the ruleset that was rolled back.
    public var digest: UInt64
    /// When, in seconds since 1970.
    public var time: Int
    /// Why it was rolled back ("not confirmed within 60 s", ...).
    public var reason: String

    public init(digest: UInt64, time: Int = Int(Date().timeIntervalSince1970), reason: String) {
        self.digest = digest
        self.time = time
        self.reason = reason
    }

    /// The record for `namespace` (nil: the current one) in `directory`.
    public static func path(directory: String, namespace: String?) -> String {
        directory + "/rolled-back-" + (namespace ?? "default")
    }

    /// The record at `path`, nil when there is none (or it is unreadable: then nothing is
    /// refused, which is what there was before the record existed).
    public static func load(path: String) -> RolledBackPolicy? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let digest = UInt64(parts[0], radix: 16), let time = Int(parts[1]) else { return nil }
        return RolledBackPolicy(digest: digest, time: time,
                                reason: parts[2].trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Writes the record (`DIGEST TIME REASON`, one line).
    public func save(path: String) throws(OperationError) {
        let line = String(digest, radix: 16) + " \(time) " + reason.replacingOccurrences(of: "\n", with: " ") + "\n"
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data(line.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .writeFailed(path: path, reason: "\(error)")
        }
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
