import Plan
import Ruleset

/// A stable 64-bit FNV-1a-style digest (words mixed whole) of a table's content (userdata excluded), stored in the
/// table's userdata at apply so a later reconcile can tell "unchanged" without dumping large
/// sets. Stable across processes and builds (Swift's `Hasher` is seeded per process).
public enum RulesetDigest {
    /// The nftnl_udata TLV type migfw uses in the table userdata. nft's own table udata type
    /// is 0 (comment); nft ignores types it does not know, so listings are unaffected.
    /// Format 3: words mixed whole, expressions field by field, sets and chains in name
    /// order (``Table/inNameOrder``: the kernel's listing order means nothing). Tables
    /// created by builds that wrote formats 1 and 2 (types 0x6d, 0x6e) read as having no
    /// migfw digest (not as changed) until they are created again.
    public static let userdataType: UInt8 = 0x6f  // "o"

    public static func digest(_ table: Table) -> UInt64 {
        let table = table.inNameOrder
        var hash = FNV1a()
        hash.add(table.family.rawValue)
        hash.add(table.name)
        // Only when set: a table without flags hashes without them.
        if !table.flags.isEmpty { hash.add("flags"); hash.add(UInt64(table.flags.rawValue)) }
        for set in table.sets {
            hash.add("set")
            hash.add(set.name)
            hash.add(UInt64(set.flags.rawValue))
            hash.add(set.keyType.rawValue)
            if set.catchAll { hash.add("catch-all") }
            // A dynamic set's definition only: its elements are runtime state, never in the model.
            if let size = set.size { hash.add("size"); hash.add(UInt64(size)) }
            if let timeout = set.timeoutMilliseconds { hash.add("timeout"); hash.add(timeout) }
            if set.elementCounter { hash.add("element counter") }
            switch set.elements {
            case .ipv4(let ranges):
                for range in ranges { hash.add(UInt64(range.lower.bits)); hash.add(UInt64(range.upper.bits)) }
            case .ipv6(let ranges):
                for range in ranges {
                    hash.add(UInt64(truncatingIfNeeded: range.lower.bits >> 64)); hash.add(UInt64(truncatingIfNeeded: range.lower.bits))
                    hash.add(UInt64(truncatingIfNeeded: range.upper.bits >> 64)); hash.add(UInt64(truncatingIfNeeded: range.upper.bits))
                }
            case .ports(let ranges):
                for range in ranges { hash.add(UInt64(range.lowerBound)); hash.add(UInt64(range.upperBound)) }
            case .unknown(let type, let length, let keys):
                hash.add(UInt64(type)); hash.add(UInt64(length))
                for key in keys { hash.add(key) }
            }
        }
        for chain in table.chains {
            hash.add("chain")
            hash.add(chain.name)
            if let base = chain.base {
                hash.add(NftText.render(base: base))
            }
            // Every field of every expression, tagged by kind: a changed lowering (a compare's
            // data length, a bitwise length...) changes the digest even where the nft text
            // would read the same.
            for rule in chain.rules {
                hash.add("rule")
                for expression in rule.expressions { hash.add(expression) }
                if let comment = rule.comment { hash.add("comment"); hash.add(comment) }
            }
        }
        return hash.value
    }

    /// The userdata TLV holding `digest(table)`.
    public static func userdata(for table: Table) -> [UInt8] { userdata(digest: digest(table)) }

    /// The userdata TLV holding `value` (a ``digest(_:)`` already computed).
    public static func userdata(digest value: UInt64) -> [UInt8] {
        [userdataType, 8] + (0..<8).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    /// The digest stored in a table's userdata, if migfw wrote one.
    public static func stored(in userdata: [UInt8]?) -> UInt64? {
        guard let userdata else { return nil }
        var index = 0
        while index + 2 <= userdata.count {
            let type = userdata[index], length = Int(userdata[index + 1])
            guard index + 2 + length <= userdata.count else { return nil }
            if type == userdataType && length == 8 {
                return userdata[(index + 2)..<(index + 10)].reduce(0) { $0 << 8 | UInt64($1) }
            }
            index += 2 + length
        }
        return nil
    }
}

extension FNV1a {
    /// An expression: its kind, then each field (byte strings with their length).
    mutating func add(_ expression: Expression) {
        switch expression {
        case .meta(let key, let dreg):
            add("meta"); add(key.rawValue); add(UInt64(dreg.rawValue))
        case .cmp(let op, let sreg, let data):
            add("cmp"); add(op.rawValue); add(UInt64(sreg.rawValue)); addBytes(data)
        case .payload(let base, let offset, let length, let dreg):
            add("payload"); add(base.rawValue); add(UInt64(offset)); add(UInt64(length)); add(UInt64(dreg.rawValue))
        case .bitwise(let sreg, let dreg, let length, let mask, let xor):
            add("bitwise"); add(UInt64(sreg.rawValue)); add(UInt64(dreg.rawValue)); add(UInt64(length))
            addBytes(mask); addBytes(xor)
        case .ct(let key, let dreg):
            add("ct"); add(key.rawValue); add(UInt64(dreg.rawValue))
        case .lookup(let set, let sreg, let inverted):
            add("lookup"); add(set); add(UInt64(sreg.rawValue)); add(inverted ? 1 : 0)
        case .range(let op, let sreg, let from, let to):
            add("range"); add(op.rawValue); add(UInt64(sreg.rawValue)); addBytes(from); addBytes(to)
        case .counter:
            add("counter")
        case .limit(let rate, let unitSeconds, let burst, let inverted):
            add("limit"); add(rate); add(unitSeconds); add(UInt64(burst)); add(inverted ? 1 : 0)
        case .log(let prefix, let level):
            add("log"); add(prefix.map { "prefix " + $0 } ?? "no prefix")
            add(level.map { UInt64($0.rawValue) } ?? UInt64.max)
        case .verdict(let verdict):
            add("verdict"); add(RuleText.verdictText(verdict))
        case .dynsetUpdate(let set, let sreg):
            add("dynset update"); add(set); add(UInt64(sreg.rawValue))
        case .unknown(let name, let detail):
            add("unknown"); add(name); add(detail)
        }
    }

    /// A byte string with its length first, so `[0xc0]` and `[0xc0, 0]` differ.
    mutating func addBytes(_ bytes: [UInt8]) {
        add(UInt64(bytes.count))
        add(bytes)
    }
}

struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func addByte(_ byte: UInt8) {
        value ^= UInt64(byte)
        value = value &* 0x100_0000_01b3
    }

    mutating func add(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { addByte(byte) }
        addByte(0xff)  // separator: "ab","c" differs from "a","bc"
    }

    mutating func add(_ text: String) { add(text.utf8) }

    /// A whole word at once (a set of 100k ranges is 200k words): the word is mixed
    /// (splitmix64's finaliser) so that every bit of it reaches every bit of the state.
    mutating func add(_ number: UInt64) {
        var word = number &+ 0x9e37_79b9_7f4a_7c15
        word = (word ^ (word >> 30)) &* 0xbf58_476d_1ce4_e5b9
        word = (word ^ (word >> 27)) &* 0x94d0_49bb_1331_11eb
        word ^= word >> 31
        value = (value ^ word) &* 0x100_0000_01b3
    }
}
