import Netlink
import Ruleset

/// What `apply` did.
public struct ApplyReport: Sendable {
    /// Whether a migfw table was there before (and was replaced).
    public var replaced: Bool
    /// Intervals per set, as read back from the kernel, in table order.
    public var setSizes: [(name: String, intervals: Int)]
    public var chains: Int
    public var rules: Int
    /// Netlink messages and bytes in the one batch.
    public var messages: Int
    public var bytes: Int
    /// Time from the first netlink request to the kernel's commit ACK.
    public var applySeconds: Double
    /// Of which: encoding the batch, and the kernel's own processing of it (the one sendmsg).
    public var encodeSeconds: Double
    public var kernelSeconds: Double
    /// Time to read everything back and compare it (nil: not verified).
    public var verifySeconds: Double?
    /// The digest stored in the table's userdata.
    public var digest: UInt64
    /// The ruleset generation id right after the commit.
    public var generation: UInt32
}

/// Puts a ruleset into the kernel.
public enum Applier {
    /// Compare-and-swap attempts before giving up on a ruleset that keeps changing.
    public static let maxAttempts = maximumCommitAttempts

    /// Replaces (or creates) `table` in `namespace` in ONE netlink transaction: delete the
    /// old table if there is one, add everything, all or nothing, guarded by the generation
    /// id. Then reads the table back and checks that the kernel holds exactly `table`.
    ///
    /// `verify: false` skips the read-back (the kernel's element dump is quadratic in the set
    /// size: ~0.2 s at 100k intervals, over a minute at 1M); the batch is still all or nothing.
    /// `extraOperations` are appended to the batch (tests inject failures with them).
    public static func apply(_ table: Table, namespace: String?, verify: Bool = true,
                             extraOperations: [Batch.Operation] = []) throws -> ApplyReport {
        let session = try netlink { try NetlinkSession(namespace: namespace) }
        return try apply(table, session: session, verify: verify, extraOperations: extraOperations)
    }

    /// ``apply(_:namespace:verify:extraOperations:)`` through `session`.
    public static func apply(_ table: Table, session: KernelSession, verify: Bool = true,
                             extraOperations: [Batch.Operation] = []) throws -> ApplyReport {
        var desired = table
        desired.userdata = RulesetDigest.userdata(for: table)
        let clock = ContinuousClock()
        let start = clock.now
        let (replaced, receipt, committedGeneration) = try withGenerationRetry { _ in
            let generation = try session.generation()
            let replaced = try session.tableExists(family: table.family, name: table.name)
            var batch = Batch.create(desired, replacing: replaced)
            // migfw's table of another mode would go on filtering: retired in the same batch.
            for other in PlannedApplier.families where other != table.family {
                if try session.tableExists(family: other, name: table.name) {
                    batch.operations.insert(.deleteTableOfFamily(other), at: 0)
                }
            }
            batch.operations += extraOperations
            let receipt = try session.send(batch, expectedGeneration: generation)
            // Accepted only at `generation`; the commit bumped it by one.
            return (replaced, receipt, PlannedApplier.generation(after: generation))
        }
        let applied = clock.now
        var held = desired
        if verify {
            held = try Self.verify(desired, session: session)
        }
        let verified = clock.now
        return ApplyReport(
            replaced: replaced,
            setSizes: held.sets.map { ($0.name, $0.elements.count) },
            chains: held.chains.count,
            rules: held.chains.reduce(0) { $0 + $1.rules.count },
            messages: receipt.messages, bytes: receipt.bytes,
            applySeconds: (applied - start).seconds, encodeSeconds: receipt.encodeSeconds, kernelSeconds: receipt.kernelSeconds,
            verifySeconds: verify ? (verified - applied).seconds : nil,
            digest: RulesetDigest.digest(table), generation: committedGeneration)
    }
}

extension Applier {
    /// Sets whose element dump would exceed this many bytes (~20 bytes of attributes per
    /// element plus the key; start and end elements) are verified by looking every element
    /// up instead: a dump costs O(n²) in the kernel (it restarts its walk of the set for
    /// every 32 KiB reply), lookups O(n log n); the threshold is where lookups start to win
    /// (figures: README, "Performance: apply").
    public static let dumpVerificationBytes = 6_000_000

    /// Reads back a table that was just created in one batch and checks it is exactly
    /// `desired`: table userdata, set headers, chains, rules by dump; elements by dump for
    /// small sets, by per-element lookup for large ones (exact too: the set was created in
    /// the same atomic batch as its elements, so nothing else can be in it, and a lookup
    /// finds every element that should be). Returns the table as read.
    static func verify(_ desired: Table, session: KernelSession) throws -> Table {
        guard var actual = try netlink({ try session.readTable(family: desired.family, name: desired.name, elements: false) })?.table else {
            throw EngineError.verificationFailed("table \(desired.family.rawValue) \(desired.name) is missing after commit")
        }
        if let difference = Verifier.difference(expected: Verifier.withoutElements(desired), actual: actual) {
            throw EngineError.verificationFailed(difference)
        }
        for (index, set) in desired.sets.enumerated() {
            if set.elements.count * 2 * (set.keyType.keyLength + 20) <= dumpVerificationBytes {
                actual.sets[index].elements = try netlink {
                    try session.readElements(family: desired.family, table: desired.name, set: set)
                }
            } else {
                if let problem = try netlink({ try session.checkElements(family: desired.family, table: desired.name, set: set) }) {
                    throw EngineError.verificationFailed(problem)
                }
                actual.sets[index].elements = set.elements
            }
        }
        if let difference = Verifier.difference(expected: desired, actual: actual) {
            throw EngineError.verificationFailed(difference)
        }
        return actual
    }
}

/// Compares what was sent with what was read back and says where they differ.
public enum Verifier {
    /// `table` with every set emptied (key types kept), to compare everything but elements.
    public static func withoutElements(_ table: Table) -> Table {
        var copy = table
        for index in copy.sets.indices {
            switch copy.sets[index].elements {
            case .ipv4: copy.sets[index].elements = .ipv4([])
            case .ipv6: copy.sets[index].elements = .ipv6([])
            case .ports: copy.sets[index].elements = .ports([])
            case .unknown(let type, let length, _): copy.sets[index].elements = .unknown(keyType: type, keyLength: length, elements: [])
            }
        }
        return copy
    }

    /// Nil when `actual` equals `expected` (userdata included); else a short description.
    /// Sets and chains are compared by name, rules in order (``Table/inNameOrder``).
    public static func difference(expected: Table, actual: Table) -> String? {
        let expected = expected.inNameOrder, actual = actual.inNameOrder
        guard expected != actual else { return nil }
        var notes: [String] = []
        if expected.userdata != actual.userdata { notes.append("table userdata differs") }
        let expectedSets = expected.sets.map(\.name), actualSets = actual.sets.map(\.name)
        if expectedSets != actualSets { notes.append("sets \(actualSets), expected \(expectedSets)") }
        for set in expected.sets {
            guard let other = actual.set(named: set.name), other != set else { continue }
            if other.flags != set.flags { notes.append("set \(set.name): flags \(other.flags.rawValue), expected \(set.flags.rawValue)") }
            if other.elements.count != set.elements.count {
                notes.append("set \(set.name): \(other.elements.count) intervals, expected \(set.elements.count)")
            } else if other.elements != set.elements {
                notes.append("set \(set.name): same count (\(set.elements.count)) but different elements")
            }
        }
        let expectedChains = expected.chains.map(\.name), actualChains = actual.chains.map(\.name)
        if expectedChains != actualChains { notes.append("chains \(actualChains), expected \(expectedChains)") }
        for chain in expected.chains {
            guard let other = actual.chain(named: chain.name), other != chain else { continue }
            if other.base != chain.base { notes.append("chain \(chain.name): hook/priority/policy differ") }
            if other.rules.count != chain.rules.count {
                notes.append("chain \(chain.name): \(other.rules.count) rules, expected \(chain.rules.count)")
            } else if let index = chain.rules.indices.first(where: { chain.rules[$0] != other.rules[$0] }) {
                notes.append("chain \(chain.name): rule \(index + 1) differs: got \(other.rules[index]), expected \(chain.rules[index])")
            }
        }
        return notes.isEmpty ? "tables differ" : notes.joined(separator: "; ")
    }
}
