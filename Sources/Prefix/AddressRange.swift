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
        forEachCIDR { result.append($0) }
        return result
    }

    /// Calls `body` with each prefix of the minimal cover, ascending.
    ///
    /// Each step takes the largest block that starts at `start` (limited by the alignment of
    /// `start`) and does not pass `upper` (limited by the remaining span): the greedy choice
    /// is optimal because any cover must start a block at `start`, and no larger one fits.
    @inline(__always)
    public func forEachCIDR(_ body: (CIDR<Address>) -> Void) {
        let width = Address.bitWidth
        var start = lower.bits
        let end = upper.bits
        while true {
            let alignment = start == 0 ? width : start.trailingZeroBitCount
            let span = end - start  // addresses after `start`; +1 would overflow for the whole space
            let fit = span == .max ? width : width - 1 - (span + 1).leadingZeroBitCount
            let hostBits = Swift.min(alignment, fit)
            body(CIDR(uncheckedAddress: Address(bits: start), length: width - hostBits))
            if hostBits == width { return }
            let blockLast = start | (Address.Bits(1) << hostBits - 1)
            if blockLast >= end { return }
            start = blockLast + 1
        }
    }

    /// `first-last`, or the single address when they are equal.
    public var description: String { lower == upper ? "\(lower)" : "\(lower)-\(upper)" }
}
