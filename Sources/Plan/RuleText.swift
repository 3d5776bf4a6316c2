import Prefix
import Ruleset

/// A one-line, nft-like description of a rule for plan output.
///
/// Close to what `nft list` prints for the expression patterns migfw compiles (a load
/// followed by a compare, lookup or range); anything else falls back to the `nft --debug`
/// form of the expression, so the text is always exact, if sometimes terse. Display only:
/// never parsed back.
public enum RuleText {
    public static func describe(_ rule: Rule) -> String {
        var words: [String] = []
        var pending: Field?   // the last load, waiting for what uses its register
        for expression in rule.expressions {
            switch expression {
            case .meta(let key, _):
                flush(&pending, into: &words)
                pending = .meta(key)
            case .payload(let base, let offset, let length, _):
                flush(&pending, into: &words)
                pending = .payload(base, offset: offset, length: length)
            case .ct(let key, _):
                flush(&pending, into: &words)
                pending = .ct(key)
            case .bitwise(_, _, _, let mask, _):
                if case .ct(.state) = pending { pending = .ctStateMasked(mask) } else { words.append(debug(expression)) }
            case .cmp(let op, _, let data):
                if case .ctStateMasked(let mask) = pending, data.allSatisfy({ $0 == 0 }), op == .neq || op == .eq {
                    // (state & mask) != 0 is nft's `ct state A,B`; == 0 is its negation.
                    words.append("ct state" + (op == .eq ? " !=" : "") + " " + Field.ctStateMasked(mask).format(mask))
                    pending = nil
                } else if let field = pending {
                    words.append(field.name + operatorText(op) + " " + field.format(data))
                    pending = nil
                } else {
                    words.append(debug(expression))
                }
            case .range(let op, _, let from, let to):
                if let field = pending {
                    words.append(field.name + operatorText(op) + " " + field.format(from) + "-" + field.format(to))
                    pending = nil
                } else {
                    words.append(debug(expression))
                }
            case .lookup(let set, _, let inverted):
                let name = pending?.name ?? "reg"
                words.append(name + (inverted ? " != " : " ") + "@" + set)
                pending = nil
            default:
                flush(&pending, into: &words)
                words.append(debug(expression))
            }
        }
        flush(&pending, into: &words)
        if let comment = rule.comment { words.append("comment \"\(comment)\"") }
        return words.joined(separator: " ")
    }

    private static func flush(_ pending: inout Field?, into words: inout [String]) {
        if let field = pending { words.append("[load \(field.name)]") }
        pending = nil
    }

    private static func operatorText(_ op: CmpOp) -> String {
        switch op {
        case .eq: ""
        case .neq: " !="
        case .lt: " <"
        case .lte: " <="
        case .gt: " >"
        case .gte: " >="
        }
    }

    /// The `nft --debug` form of one expression.
    static func debug(_ expression: Expression) -> String {
        switch expression {
        case .meta(let key, let dreg): "[meta load \(key.rawValue) => reg \(dreg.rawValue)]"
        case .cmp(let op, let sreg, let data): "[cmp \(op.rawValue) reg \(sreg.rawValue) \(hex(data))]"
        case .payload(let base, let offset, let length, let dreg):
            "[payload load \(length)b @ \(base.rawValue) header + \(offset) => reg \(dreg.rawValue)]"
        case .bitwise(let sreg, let dreg, _, let mask, let xor):
            "[bitwise reg \(dreg.rawValue) = (reg \(sreg.rawValue) & \(hex(mask))) ^ \(hex(xor))]"
        case .ct(let key, let dreg): "[ct load \(key.rawValue) => reg \(dreg.rawValue)]"
        case .lookup(let set, let sreg, let inverted): "[lookup reg \(sreg.rawValue) set \(set)\(inverted ? " 0x1" : "")]"
        case .range(let op, let sreg, let from, let to): "[range \(op.rawValue) reg \(sreg.rawValue) \(hex(from)) \(hex(to))]"
        case .counter: "counter"
        case .limit(let rate, let unitSeconds, let burst, let inverted):
            "limit rate \(inverted ? "over " : "")\(rate)/\(unitName(unitSeconds)) burst \(burst) packets"
        case .log(let prefix, let level):
            "log" + (prefix.map { " prefix \"\($0)\"" } ?? "") + (level.map { " level \($0)" } ?? "")
        case .verdict(let verdict): verdictText(verdict)
        }
    }

    /// nft's spelling of a verdict.
    public static func verdictText(_ verdict: Verdict) -> String {
        switch verdict {
        case .accept: "accept"
        case .drop: "drop"
        case .continue: "continue"
        case .return: "return"
        case .jump(let chain): "jump \(chain)"
        case .goto(let chain): "goto \(chain)"
        }
    }

    private static func unitName(_ seconds: UInt64) -> String {
        switch seconds {
        case 1: "second"
        case 60: "minute"
        case 3600: "hour"
        case 86400: "day"
        default: "\(seconds)s"
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        "0x" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// What a register holds after a load, and how to print values compared with it.
    private enum Field {
        case meta(MetaKey)
        case payload(PayloadBase, offset: UInt32, length: UInt32)
        case ct(CtKey)
        case ctStateMasked([UInt8])

        var name: String {
            switch self {
            case .meta(let key): "meta \(key.rawValue)"
            case .ct(let key): "ct \(key.rawValue)"
            case .ctStateMasked: "ct state"
            case .payload(.network, 12, 4): "ip saddr"
            case .payload(.network, 16, 4): "ip daddr"
            case .payload(.network, 8, 16): "ip6 saddr"
            case .payload(.network, 24, 16): "ip6 daddr"
            case .payload(.transport, 0, 2): "th sport"
            case .payload(.transport, 2, 2): "th dport"
            case .payload(let base, let offset, let length): "@\(base.rawValue),\(offset * 8),\(length * 8)"
            }
        }

        func format(_ data: [UInt8]) -> String {
            switch self {
            case .meta(.iifname), .meta(.oifname):
                return "\"" + String(decoding: data.prefix { $0 != 0 }, as: UTF8.self) + "\""
            case .meta(.nfproto) where data.count == 1:
                return [2: "ipv4", 10: "ipv6"][data[0]] ?? "\(data[0])"
            case .meta(.l4proto) where data.count == 1:
                return [1: "icmp", 6: "tcp", 17: "udp", 58: "ipv6-icmp"][data[0]] ?? "\(data[0])"
            case .ctStateMasked(let mask):
                // nft compares (state & mask) != 0: "any of the mask's states". The state
                // bitmask is a host-order (little-endian here) 32-bit value.
                let value = mask.prefix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
                let names: [(UInt32, String)] = [(1, "invalid"), (2, "established"), (4, "related"), (8, "new"), (64, "untracked")]
                let found = names.filter { value & $0.0 != 0 }.map(\.1)
                return found.isEmpty ? RuleText.hex(mask) : found.joined(separator: ",")
            case .payload(.network, _, 4) where data.count == 4:
                return IPv4Address(data[0], data[1], data[2], data[3]).description
            case .payload(.network, _, 16) where data.count == 16:
                return IPv6Address(bits: data.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }).description
            case .payload(.transport, _, 2) where data.count == 2:
                return "\(UInt16(data[0]) << 8 | UInt16(data[1]))"
            default:
                return RuleText.hex(data)
            }
        }
    }
}
