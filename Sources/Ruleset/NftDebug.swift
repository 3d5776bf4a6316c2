/// Renders expressions the way `nft --debug=netlink` (libnftnl's snprintf) prints them, e.g.
/// `[ payload load 4b @ network header + 12 => reg 1 ]`.
///
/// This is the contract between the compiler and the netlink encoder: the tests compare these
/// lines with nft's own output for the same rule text. Counters print zero values, as nft
/// does for a rule it is about to add.
public enum NftDebug {
    /// One line per expression.
    public static func render(_ expressions: [Expression]) -> [String] {
        expressions.map(render)
    }

    /// One expression, e.g. `[ cmp eq reg 1 0x00000006 ]`.
    public static func render(_ expression: Expression) -> String {
        // libnftnl prints "[ NAME " then attributes each followed by a space, then "]".
        "[ " + body(expression) + "]"
    }

    private static func body(_ expression: Expression) -> String {
        switch expression {
        case .meta(let key, let dreg):
            return "meta load \(key.rawValue) => reg \(dreg.rawValue) "
        case .cmp(let op, let sreg, let data):
            return "cmp \(op.rawValue) reg \(sreg.rawValue) \(hex(data)) "
        case .payload(let base, let offset, let length, let dreg):
            return "payload load \(length)b @ \(base.rawValue) header + \(offset) => reg \(dreg.rawValue) "
        case .bitwise(let sreg, let dreg, _, let mask, let xor):
            return "bitwise reg \(dreg.rawValue) = ( reg \(sreg.rawValue) & \(hex(mask)) ) ^ \(hex(xor)) "
        case .dynsetUpdate(let set, let sreg):
            return "dynset update reg_key \(sreg.rawValue) set \(set) "
        case .ct(let key, let dreg):
            return "ct load \(key.rawValue) => reg \(dreg.rawValue) "
        case .lookup(let set, let sreg, let inverted):
            return "lookup reg \(sreg.rawValue) set \(set) " + (inverted ? "0x1 " : "")
        case .range(let op, let sreg, let from, let to):
            return "range \(op.rawValue) reg \(sreg.rawValue) \(hex(from)) \(hex(to)) "
        case .counter:
            return "counter pkts 0 bytes 0 "
        case .limit(let rate, let unit, let burst, let inverted):
            return "limit rate \(rate)/\(unitName(unit)) burst \(burst) type packets flags 0x\(inverted ? 1 : 0) "
        case .log(let prefix, let level):
            var text = "log "
            if let prefix { text += "prefix \(prefix) " }
            if let level { text += "level \(level.rawValue) " }
            return text
        case .verdict(let verdict):
            return "immediate reg 0 \(verdictText(verdict)) "
        case .unknown(_, let detail):
            return detail + " "
        }
    }

    /// libnftnl's data register form: 32-bit words in host order, the last one zero-padded.
    public static func hex(_ data: [UInt8]) -> String {
        stride(from: 0, to: max(data.count, 1), by: 4).map { start in
            var word: UInt32 = 0
            for (shift, byte) in data[start..<min(start + 4, data.count)].enumerated() {
                word |= UInt32(byte) << (8 * shift)
            }
            if UInt32(1).littleEndian != 1 { word = word.byteSwapped }
            let digits = String(word, radix: 16)
            return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
        }.joined(separator: " ")
    }

    static func unitName(_ seconds: UInt64) -> String {
        switch seconds {
        case 1: "second"
        case 60: "minute"
        case 3600: "hour"
        case 86400: "day"
        case 604800: "week"
        default: "error"
        }
    }

    static func verdictText(_ verdict: Verdict) -> String {
        switch verdict {
        case .accept: "accept"
        case .drop: "drop"
        case .continue: "continue"
        case .return: "return"
        case .jump(let chain): "jump -> \(chain)"
        case .goto(let chain): "goto -> \(chain)"
        }
    }
}
