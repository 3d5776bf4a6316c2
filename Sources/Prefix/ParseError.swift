/// Why a piece of text is not a valid address or prefix.
public struct PrefixParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        /// Empty text.
        case empty
        /// Not an IPv4 or IPv6 address at all.
        case malformedAddress
        /// An IPv4 octet written with a leading zero (`010`), which some tools read as octal.
        case leadingZero
        /// An IPv4 octet above 255.
        case octetOutOfRange
        /// An IPv6 zone id (`fe80::1%eth0`): meaningless in a firewall rule.
        case zoneID
        /// The text after `/` is not a decimal length, or is out of range for the family.
        case badLength
        /// A prefix length written with a leading zero (`/08`).
        case lengthLeadingZero
        /// Bits set past the prefix length; carries the possible intended prefixes: the whole
        /// network, the narrowest prefix that keeps the address, and the single host when that
        /// narrowest prefix still holds more than one address.
        case hostBitsSet(network: AnyCIDR, narrower: AnyCIDR?, host: AnyCIDR? = nil)
    }

    public let reason: Reason
    /// 0-based byte offset in the parsed text where the problem starts.
    public let offset: Int
    /// The offending text, for messages.
    public let text: String

    public init(_ reason: Reason, offset: Int, text: String) {
        self.reason = reason
        self.offset = offset
        self.text = text
    }

    /// One line that says what is wrong, naming the text (escaped and cut: ``Excerpt``).
    public var message: String { message(quoting: Excerpt.maximumCharacters) }

    /// ``message`` quoting at most `limit` characters of the text.
    public func message(quoting limit: Int) -> String {
        let text = Excerpt.quoted(self.text, limit: limit)
        return switch reason {
        case .empty: "empty address"
        case .malformedAddress: "'\(text)' is not an IPv4 or IPv6 address or prefix"
        case .leadingZero: "'\(text)' has an IPv4 octet with a leading zero"
        case .octetOutOfRange: "'\(text)' has an IPv4 octet above 255"
        case .zoneID: "'\(text)' has an IPv6 zone id, which a firewall rule cannot use"
        case .badLength: "'\(text)' has an invalid prefix length (0-32 for IPv4, 0-128 for IPv6)"
        case .lengthLeadingZero: "'\(text)' has a prefix length with a leading zero"
        case .hostBitsSet: "'\(text)' has host bits set past the prefix length"
        }
    }

    /// How to fix it, when there is something useful to say.
    public var hint: String? {
        switch reason {
        case .leadingZero:
            "write the octets without leading zeros; tools disagree whether 010 means 10 or 8"
        case .zoneID:
            "drop the '%zone' part; the interface is set by the policy's 'interface'"
        case .lengthLeadingZero:
            "write the length without leading zeros, e.g. /8"
        case .hostBitsSet(let network, let narrower, let host):
            if let narrower, let host {
                "did you mean \(network) (the whole network), \(narrower) (the smaller one) or \(host) (the single host)?"
            } else if let narrower {
                "did you mean \(network) (the whole network) or \(narrower) (the smaller one)?"
            } else {
                "did you mean \(network)?"
            }
        default: nil
        }
    }

    public var description: String {
        hint.map { "\(message) (\($0))" } ?? message
    }
}
