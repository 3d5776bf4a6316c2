/// An inclusive, non-empty range of addresses of one family: what an nftables interval set
/// element stands for.
public struct AddressRange<Address: IPAddress>: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let lower: Address
    public let upper: Address

    /// Fails when `lower > upper`.
    public init?(lower: Address, upper: Address) {
        guard lower <= upper else { return nil }
        self.lower = lower
        self.upper = upper
    }

    init(uncheckedLower lower: Address, upper: Address) {
        self.lower = lower
        self.upper = upper
    }

    public static func < (lhs: AddressRange, rhs: AddressRange) -> Bool {
        lhs.lower != rhs.lower ? lhs.lower < rhs.lower : lhs.upper < rhs.upper
    }

    /// Whether `address` lies in the range.
    public func contains(_ address: Address) -> Bool { lower <= address && address <= upper }

    /// The smallest set of prefixes whose union is exactly this range, ascending.
    public var cidrs: [CIDR<Address>] {
        var result: [CIDR<Address>] = []
        var start = lower.bits
        let end = upper.bits
        while true {
            // The largest aligned block starting at `start` that does not pass `end`.
            var length = start == 0 ? 0 : Address.bitWidth - start.trailingZeroBitCount
            while length < Address.bitWidth {
                let hostBits = Address.bitWidth - length
                let blockLast = start | (hostBits == Address.bitWidth ? ~0 : ~(~Address.Bits.zero << hostBits))
                if blockLast <= end { break }
                length += 1
            }
            result.append(CIDR(masking: Address(bits: start), length: length))
            let blockLast = CIDR<Address>(masking: Address(bits: start), length: length).last.bits
            if blockLast >= end { return result }
            start = blockLast + 1
        }
    }

    /// `first-last`, or the single address when they are equal.
    public var description: String { lower == upper ? "\(lower)" : "\(lower)-\(upper)" }
}
