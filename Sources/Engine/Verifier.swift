import Netlink
import Ruleset

/// How much of a commit is read back and compared with what was sent.
public enum Verification: String, CaseIterable, Sendable {
    /// Nothing read back: the batch is still all or nothing.
    case none
    /// The table (flags, userdata of a table the batch created), set definitions, chains
    /// and rules; no elements (they were acknowledged message by message in the commit).
    case structure
    /// Everything, elements included: by dump, or for a large set the commit created whole,
    /// by looking every element up (``Verifier/dumpVerificationBytes``).
    case full
}

/// Reads back what a commit left and says where it differs from what was sent.
public enum Verifier {
    /// Sets whose element dump would exceed this many bytes (~20 bytes of attributes per
    /// element plus the key; start and end elements) are verified by looking every element
    /// up instead, when the commit created them: the kernel's dump restarts its walk of the
    /// set for every 32 KiB reply (O(n²)), lookups cost O(n log n) and run on every core
    /// (``Netlink/NetlinkSession/checkElements(family:table:set:)``). Measured on 2 cores:
    /// the two meet near 50k IPv4 intervals (~2.4 MB); at 100k, ~600 ms by dump, ~320 ms
    /// by lookups (docs/performance.md, "Performance: apply").
    public static let dumpVerificationBytes = 2_400_000

    /// Checks that the kernel holds `desired` at `level`. `created`: the commit created the
    /// table whole, so its userdata is `desired`'s and a large set can be checked by lookups
    /// (nothing but the batch's elements can be in a set the batch created). Returns the
    /// table as read (elements only at ``Verification/full``), nil at ``Verification/none``.
    @discardableResult
    public static func verify(_ desired: Table, level: Verification, created: Bool,
                              session: KernelSession) throws -> Table? {
        guard level != .none else { return nil }
        guard var actual = try netlink({ try session.readTable(family: desired.family, name: desired.name, elements: false) })?.table else {
            throw EngineError.verificationFailed("table \(desired.family.rawValue) \(desired.name) is missing after the commit")
        }
        var expected = desired
        // The kernel keeps an existing table's userdata: only a created table carries this policy's.
        if !created { expected.userdata = actual.userdata }
        if let difference = difference(expected: withoutElements(expected), actual: actual) {
            throw EngineError.verificationFailed(difference)
        }
        guard level == .full else { return actual }
        // A dynamic set's elements are runtime state (packets add them), never part of the model.
        for (index, set) in expected.sets.enumerated() where !set.isDynamic {
            guard let position = actual.sets.firstIndex(where: { $0.name == set.name }) else { continue }
            if created && set.elements.count * 2 * (set.keyType.keyLength + 20) > dumpVerificationBytes {
                if let problem = try netlink({ try session.checkElements(family: desired.family, table: desired.name, set: set) }) {
                    throw EngineError.verificationFailed(problem)
                }
                actual.sets[position].elements = set.elements
            } else {
                actual.sets[position].elements = try netlink {
                    try session.readElements(family: desired.family, table: desired.name, set: expected.sets[index])
                }
            }
        }
        if let difference = difference(expected: expected, actual: actual) {
            throw EngineError.verificationFailed(difference)
        }
        return actual
    }

    /// `table` without rule comments.
    static func withoutRuleComments(_ table: Table) -> Table {
        var copy = table
        for chain in copy.chains.indices {
            for rule in copy.chains[chain].rules.indices { copy.chains[chain].rules[rule].comment = nil }
        }
        return copy
    }

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

    /// Nil when `actual` equals `expected` (userdata and flags included); else a short
    /// description. Sets and chains are compared by name, rules in order (``Table/inNameOrder``)
    /// by their expressions: a rule's comment is userdata, not a change (as for the planner).
    public static func difference(expected: Table, actual: Table) -> String? {
        let expected = withoutRuleComments(expected.inNameOrder), actual = withoutRuleComments(actual.inNameOrder)
        guard expected != actual else { return nil }
        var notes: [String] = []
        if expected.userdata != actual.userdata { notes.append("table userdata differs") }
        if expected.flags != actual.flags { notes.append("table flags are \(actual.flags.rawValue), expected \(expected.flags.rawValue)") }
        let expectedSets = expected.sets.map(\.name), actualSets = actual.sets.map(\.name)
        if expectedSets != actualSets { notes.append("sets \(actualSets), expected \(expectedSets)") }
        for set in expected.sets {
            guard let other = actual.set(named: set.name), other != set else { continue }
            if other.flags != set.flags { notes.append("set \(set.name): flags \(other.flags.rawValue), expected \(set.flags.rawValue)") }
            if other.keyType != set.keyType { notes.append("set \(set.name): key \(other.keyType), expected \(set.keyType)") }
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
