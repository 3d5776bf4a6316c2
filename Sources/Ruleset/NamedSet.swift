import Prefix

/// A named set in migfw's table.
public struct NamedSet: Hashable, Sendable {
    /// The IPv4 trusted set's name, fixed by the design.
    public static let trusted4 = "trusted4"
    /// The IPv6 trusted set's name, fixed by the design.
    public static let trusted6 = "trusted6"
    /// Gateway mode: the IPv4 hypervisors behind the gateway.
    public static let protected4 = "protected4"
    /// Gateway mode: the IPv6 hypervisors behind the gateway.
    public static let protected6 = "protected6"

    public var name: String
    public var flags: SetFlags
    /// The elements; their case fixes the key type.
    public var elements: SetElements
    /// The kernel's set holds a catch-all element (`*`, `NFT_SET_ELEM_CATCHALL`), which
    /// matches every key. migfw never creates one; in a trusted set it trusts every address.
    public var catchAll: Bool

    public init(name: String, flags: SetFlags = [.interval], elements: SetElements, catchAll: Bool = false) {
        self.name = name
        self.flags = flags
        self.elements = elements
        self.catchAll = catchAll
    }

    public var keyType: SetKeyType { elements.keyType }
}

/// Set key types (nft's datatype names in comments).
public enum SetKeyType: String, Hashable, Sendable {
    /// `ipv4_addr`
    case ipv4Address = "ipv4_addr"
    /// `ipv6_addr`
    case ipv6Address = "ipv6_addr"
    /// `inet_service` (a port)
    case inetService = "inet_service"
    /// A key type migfw does not model (decoded from a set someone else added).
    case unknown = "unknown"

    /// The key length in bytes.
    public var keyLength: Int {
        switch self {
        case .ipv4Address: 4
        case .ipv6Address: 16
        case .inetService: 2
        case .unknown: 0
        }
    }
}

/// `NFT_SET_*` flags migfw uses.
public struct SetFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// `NFT_SET_CONSTANT`
    public static let constant = SetFlags(rawValue: 0x2)
    /// `NFT_SET_INTERVAL`
    public static let interval = SetFlags(rawValue: 0x4)
}

/// Set contents as sorted, disjoint, non-adjacent inclusive intervals (a single element is
/// an interval of one). Typed per key so IPv4 and IPv6 can never be mixed up.
public enum SetElements: Hashable, Sendable {
    case ipv4([AddressRange<IPv4Address>])
    case ipv6([AddressRange<IPv6Address>])
    case ports([ClosedRange<UInt16>])
    /// Elements of a set whose key type migfw does not model (decoded from a set someone
    /// else added): the kernel's key type and length, and each element's raw key bytes with
    /// its flags, in the kernel's order. Never compiled.
    case unknown(keyType: UInt32, keyLength: UInt32, elements: [[UInt8]])

    public var keyType: SetKeyType {
        switch self {
        case .ipv4: .ipv4Address
        case .ipv6: .ipv6Address
        case .ports: .inetService
        case .unknown: .unknown
        }
    }

    /// How many intervals.
    public var count: Int {
        switch self {
        case .ipv4(let r): r.count
        case .ipv6(let r): r.count
        case .ports(let r): r.count
        case .unknown(_, _, let e): e.count
        }
    }
}
