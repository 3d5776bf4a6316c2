/// A network prefix: an address with no bits set past `length`.
///
/// The initialiser enforces that invariant; parsing reports host bits as an error rather
/// than silently masking them (the seed article's `192.168.1.0/16` is a mistake, not a /16).
public struct CIDR<Address: IPAddress>: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let address: Address
    public let length: Int

    /// Fails when `length` is out of range or `address` has host bits set.
    public init?(address: Address, length: Int) {
        guard (0...Address.bitWidth).contains(length) else { return nil }
        guard address.bits & ~Self.mask(length) == 0 else { return nil }
        self.address = address
        self.length = length
    }

    /// The prefix `address/length` with host bits cleared.
    public init(masking address: Address, length: Int) {
        precondition((0...Address.bitWidth).contains(length))
        self.address = Address(bits: address.bits & Self.mask(length))
        self.length = length
    }

    /// For callers that construct an aligned block themselves.
    @inline(__always)
    init(uncheckedAddress address: Address, length: Int) {
        self.address = address
        self.length = length
    }

    /// A single-address prefix (/32 or /128).
    public init(host: Address) {
        self.address = host
        self.length = Address.bitWidth
    }

    /// The network mask for `length` as bits.
    @inlinable
    public static func mask(_ length: Int) -> Address.Bits {
        length == 0 ? 0 : ~Address.Bits.zero << (Address.bitWidth - length)
    }

    /// The first address of the prefix.
    public var first: Address { address }
    /// The last address of the prefix.
    @inlinable
    public var last: Address { Address(bits: address.bits | ~Self.mask(length)) }
    /// The prefix as an inclusive range.
    public var range: AddressRange<Address> { AddressRange(uncheckedLower: first, upper: last) }

    /// Whether `other` lies entirely inside this prefix.
    @inlinable
    public func contains(_ other: CIDR) -> Bool {
        other.length >= length && other.address.bits & Self.mask(length) == address.bits
    }
    /// Whether `address` lies inside this prefix.
    @inlinable
    public func contains(_ address: Address) -> Bool {
        address.bits & Self.mask(length) == self.address.bits
    }

    @inlinable
    public static func < (lhs: CIDR, rhs: CIDR) -> Bool {
        lhs.address != rhs.address ? lhs.address < rhs.address : lhs.length < rhs.length
    }

    /// `address/length`; the length is always written.
    public var description: String { "\(address)/\(length)" }
}

/// A prefix of either family, as it appears in a policy or a prefix list.
public enum AnyCIDR: Hashable, Sendable, CustomStringConvertible {
    case v4(CIDR<IPv4Address>)
    case v6(CIDR<IPv6Address>)

    public var family: IPFamily {
        switch self {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }
    /// The prefix length.
    public var length: Int {
        switch self {
        case .v4(let p): p.length
        case .v6(let p): p.length
        }
    }
    /// Whether this is a single address (/32 or /128).
    public var isHost: Bool {
        switch self {
        case .v4(let p): p.length == 32
        case .v6(let p): p.length == 128
        }
    }
    public var description: String {
        switch self {
        case .v4(let p): p.description
        case .v6(let p): p.description
        }
    }
}
