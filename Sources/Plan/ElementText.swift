import Prefix
import Ruleset

/// How set elements are written in plan output.
///
/// An address interval that is one prefix is written as that prefix; any other as its bounds
/// with the size of its CIDR cover, as the policy's author thinks of it (a /24 minus its
/// first two addresses: `192.168.10.2-192.168.10.255 (7 CIDRs)`); the exact cover is in
/// ``cidrs(_:at:)`` and in `plan --json`. A port interval is `P` or `P-Q`.
public enum ElementText {
    /// The text of the element at `index`.
    public static func text(_ elements: SetElements, at index: Int) -> String {
        switch elements {
        case .ipv4(let ranges): intervalText(ranges[index])
        case .ipv6(let ranges): intervalText(ranges[index])
        case .ports(let ranges): portText(ranges[index])
        case .unknown(_, _, let keys): RuleText.hex(keys[index])
        }
    }

    /// Every element's text, in order.
    public static func texts(_ elements: SetElements) -> [String] {
        (0..<elements.count).map { text(elements, at: $0) }
    }

    /// The element's bounds as text: (first, last).
    public static func bounds(_ elements: SetElements, at index: Int) -> (first: String, last: String) {
        switch elements {
        case .ipv4(let ranges): (ranges[index].lower.description, ranges[index].upper.description)
        case .ipv6(let ranges): (ranges[index].lower.description, ranges[index].upper.description)
        case .ports(let ranges): ("\(ranges[index].lowerBound)", "\(ranges[index].upperBound)")
        case .unknown(_, _, let keys): (RuleText.hex(keys[index]), RuleText.hex(keys[index]))
        }
    }

    /// The CIDR cover of an address element; nil for ports.
    public static func cidrs(_ elements: SetElements, at index: Int) -> [String]? {
        switch elements {
        case .ipv4(let ranges): ranges[index].cidrs.map(\.description)
        case .ipv6(let ranges): ranges[index].cidrs.map(\.description)
        case .ports, .unknown: nil
        }
    }

    static func intervalText<Address>(_ range: AddressRange<Address>) -> String {
        let cidrs = range.cidrs
        if cidrs.count == 1 { return cidrs[0].description }
        return "\(range.lower)-\(range.upper) (\(grouped(cidrs.count)) CIDRs)"
    }

    static func portText(_ range: ClosedRange<UInt16>) -> String {
        range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)"
    }

    /// nft's spelling of set flags, e.g. `constant,interval`.
    public static func flagsText(_ flags: SetFlags) -> String {
        var names: [String] = []
        if flags.contains(.constant) { names.append("constant") }
        if flags.contains(.interval) { names.append("interval") }
        if flags.contains(.eval) { names.append("dynamic") }
        if flags.contains(.timeout) { names.append("timeout") }
        let known: SetFlags = [.constant, .interval, .eval, .timeout]
        let rest = flags.rawValue & ~known.rawValue
        if rest != 0 { names.append("0x" + String(rest, radix: 16)) }
        return names.joined(separator: ",")
    }

    /// `12,345`: counts in messages read better grouped.
    public static func grouped(_ number: Int) -> String {
        let digits = String(number.magnitude)
        var out = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (number < 0 ? "-" : "") + out
    }
}
