/// An IP address of one family, stored as its bits in network order as an unsigned integer.
///
/// The two conforming types, ``IPv4Address`` and ``IPv6Address``, let the trie, the interval
/// sweep and the CIDR cover be written once and specialised per family.
public protocol IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The unsigned integer that holds the address bits (`UInt32` or `UInt128`).
    associatedtype Bits: FixedWidthInteger & UnsignedInteger & Sendable
    /// The address width in bits: 32 or 128.
    static var bitWidth: Int { get }
    /// The family, for messages and for choosing kernel set types.
    static var family: IPFamily { get }
    /// The address as an integer, most significant bit first.
    var bits: Bits { get }
    init(bits: Bits)
}

extension IPAddress {
    @inlinable
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.bits < rhs.bits }
    /// The lowest address of the family.
    public static var min: Self { Self(bits: .zero) }
    /// The highest address of the family.
    public static var max: Self { Self(bits: .max) }
}

/// The two address families migfw knows.
public enum IPFamily: String, Sendable, Hashable, CaseIterable {
    case ipv4
    case ipv6
}

/// An IPv4 address.
public struct IPv4Address: IPAddress {
    public static let bitWidth = 32
    public static let family = IPFamily.ipv4
    public var bits: UInt32
    @inlinable
    public init(bits: UInt32) { self.bits = bits }
    /// Builds an address from its four octets, `a.b.c.d`.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        bits = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }
    /// Dotted-quad text, e.g. `192.168.10.1`.
    public var description: String { AddressText.string { AddressText.appendIPv4(bits, to: &$0) } }
}

/// An IPv6 address.
public struct IPv6Address: IPAddress {
    public static let bitWidth = 128
    public static let family = IPFamily.ipv6
    public var bits: UInt128
    @inlinable
    public init(bits: UInt128) { self.bits = bits }
    /// The eight 16-bit groups, most significant first.
    public var groups: [UInt16] {
        (0..<8).map { UInt16(truncatingIfNeeded: bits >> (112 - 16 * $0)) }
    }
    /// RFC 5952 canonical text: lower case, no leading zeros, the longest run of two or more
    /// zero groups (the first on a tie) compressed to `::`; IPv4-mapped addresses in mixed
    /// notation (`::ffff:192.0.2.1`) as its section 5 recommends.
    public var description: String { AddressText.string { AddressText.appendIPv6(bits, to: &$0) } }
}
