import Netlink
import Ruleset

/// Removes migfw's tables.
public enum Deleter {
    /// Deletes every migfw table (`inet migfw`, `bridge migfw`; nothing else) in `namespace`.
    /// Returns the families deleted; none is not an error.
    public static func deleteAll(namespace: String?) throws -> [TableFamily] {
        try StatusReader.families.filter { try delete(namespace: namespace, family: $0) }
    }

    /// Deletes `FAMILY migfw` (and nothing else) in `namespace`. Returns false when there was
    /// no such table, which is not an error.
    public static func delete(namespace: String?, family: TableFamily = .inet) throws -> Bool {
        let session = try netlink { try NetlinkSession(namespace: namespace) }
        return try withGenerationRetry { _ in
            let generation = try session.generation()
            guard try session.tableExists(family: family) else { return false }
            try session.send(.delete(family: family), expectedGeneration: generation)
            return true
        }
    }
}
