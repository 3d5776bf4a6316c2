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

    /// The IPv4 sources refused on the migration ports (a dynamic set the drop rules fill).
    public static let refused4 = "refused4"
    /// The IPv6 sources refused on the migration ports.
    public static let refused6 = "refused6"
    /// The refused sets' bound on elements: under a flood from spoofed sources the kernel
    /// stops adding at this many, so its memory stays bounded.
    public static let refusedSize: UInt32 = 4096
    /// How long a refused source stays listed after its last refused packet.
    public static let refusedTimeoutMilliseconds: UInt64 = 3_600_000

    public var name: String
    public var flags: SetFlags
    /// The most elements the set holds (`size N`, the kernel's NFTA_SET_DESC_SIZE); nil: unbounded.
    public var size: UInt32?
    /// Elements' default timeout (`timeout 1h`); nil: none.
    public var timeoutMilliseconds: UInt64?
    /// Each element carries a counter (`counter` in the set, the kernel's NFTA_SET_EXPR).
    public var elementCounter: Bool
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
        self.size = nil
        self.timeoutMilliseconds = nil
        self.elementCounter = false
    }

    /// A dynamic set that rules fill (`flags dynamic,timeout`): its elements are runtime
    /// state, so the model always holds it empty and only its definition is compared.
    public init(dynamic name: String, keyType: SetKeyType, size: UInt32, timeoutMilliseconds: UInt64, elementCounter: Bool) {
        let empty: SetElements = keyType == .ipv6Address ? .ipv6([]) : .ipv4([])
        self.init(name: name, flags: [.eval, .timeout], elements: empty)
        self.size = size
        self.timeoutMilliseconds = timeoutMilliseconds
        self.elementCounter = elementCounter
    }

    /// The set is filled by rules (`NFT_SET_EVAL`): its elements are not part of the ruleset.
    public var isDynamic: Bool { flags.contains(.eval) }

    /// migfw's refused-source set of one IP version.
    public static func refused(ipv6: Bool) -> NamedSet {
        NamedSet(dynamic: ipv6 ? refused6 : refused4, keyType: ipv6 ? .ipv6Address : .ipv4Address,
                 size: refusedSize, timeoutMilliseconds: refusedTimeoutMilliseconds, elementCounter: true)
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
    /// `NFT_SET_TIMEOUT`: elements expire.
    public static let timeout = SetFlags(rawValue: 0x10)
    /// `NFT_SET_EVAL` (nft's `dynamic`): rules add elements.
    public static let eval = SetFlags(rawValue: 0x20)
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
