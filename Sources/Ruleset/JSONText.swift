/// JSON text helpers shared by every JSON writer in migfw (nft JSON, plan JSON, status JSON).
public enum JSONText {
    /// `string` as a JSON string literal, quotes included (RFC 8259 escapes).
    public static func quote(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let control where control.value < 0x20:
                let digits = String(control.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
