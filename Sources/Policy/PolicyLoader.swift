import Foundation
import Prefix
import Yams

/// Reads a policy file (format version 1) strictly and completely: every problem in the file,
/// in its prefix-list files and in its profile is collected, and the load fails with all of
/// them at once.
public enum PolicyLoader {
    /// The only policy format this migfw reads.
    public static let supportedVersion = 1
    /// A policy is a short hand-written file; anything larger is a mistake or an attack.
    public static let maximumPolicyBytes = 1024 * 1024
    /// Bound on the number of files `trusted.files` may expand to, over all patterns.
    public static let maximumPrefixFiles = 10_000

    static let topLevelKeys = [
        "version", "interface", "profile", "performance", "ports", "dedicated", "egress",
        "authentication", "trusted", "exclude", "log", "allow_broad", "windows",
        "mode", "gateway", "protected", "other_interfaces", "shared",
    ]

    /// Reads the policy at `path`, finding profiles through ``ProfileCatalog/standard``.
    public static func load(path: String) throws(PolicyError) -> Policy {
        try load(path: path, profiles: .standard)
    }

    /// Reads the policy at `path`, finding profiles in `profiles`.
    public static func load(path: String, profiles: ProfileCatalog) throws(PolicyError) -> Policy {
        try decode(SourceText.read(path: path, limit: maximumPolicyBytes, what: "the policy file"), profiles: profiles)
    }

    /// Decodes policy `text` as if it had been read from `path` (which names it in findings),
    /// for policies held in memory (the decoder's fuzzer). ``load(path:profiles:)`` reads the
    /// file, bounded and UTF-8-checked, and decodes it through the same path.
    public static func load(text: String, path: String, profiles: ProfileCatalog) throws(PolicyError) -> Policy {
        try decode(SourceText(path: path, text: text), profiles: profiles)
    }

    private static func decode(_ source: SourceText, profiles: ProfileCatalog) throws(PolicyError) -> Policy {
        let path = source.path
        let document = try YAMLDocument.compose(source)
        let reader = NodeReader(document: document)
        let decoder = PolicyDecoder(reader: reader, profiles: profiles, root: document.root)
        let policy = decoder.decode()
        let findings = reader.findings + decoder.extraFindings
        if let policy, findings.isEmpty { return policy }
        throw PolicyError(PolicyLinter.capped(sorted(findings, primary: path), notBuilt: reader.skippedFindings))
    }

    /// Policy file problems in line order, then those of other files (profile, prefix lists).
    public static func sorted(_ findings: [Finding], primary: String) -> [Finding] {
        findings.enumerated().sorted { lhs, rhs in
            let l = lhs.element.location, r = rhs.element.location
            if (l.file == primary) != (r.file == primary) { return l.file == primary }
            if l.file != r.file { return lhs.offset < rhs.offset }
            if l.line != r.line { return l.line < r.line }
            if l.column != r.column { return l.column < r.column }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}
