import Prefix

/// Where something came from: a file, a 1-based line and a 1-based column.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }
    /// `file:line:column`, the compiler convention editors can jump to.
    public var description: String { "\(file):\(line):\(column)" }
}

/// A value together with where it was written.
public struct Located<Value: Hashable & Sendable>: Hashable, Sendable {
    public var value: Value
    public var location: SourceLocation
    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

/// The transport protocol of a migration port.
public enum TransportProtocol: String, Hashable, Sendable, CaseIterable {
    case tcp
    case udp
}

/// An inclusive port range, 1-65535; a single port has `lower == upper`.
public struct PortRange: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var lower: UInt16
    public var upper: UInt16
    public init?(lower: UInt16, upper: UInt16) {
        guard lower >= 1, lower <= upper else { return nil }
        self.lower = lower
        self.upper = upper
    }
    public static func < (lhs: PortRange, rhs: PortRange) -> Bool {
        lhs.lower != rhs.lower ? lhs.lower < rhs.lower : lhs.upper < rhs.upper
    }
    public var description: String { lower == upper ? "\(lower)" : "\(lower)-\(upper)" }
    /// Whether `port` lies in the range.
    public func contains(_ port: UInt16) -> Bool { lower <= port && port <= upper }

    /// The parts of this range that none of `cuts` covers, ascending.
    public func subtracting(_ cuts: [PortRange]) -> [PortRange] {
        var pieces = [self]
        for cut in cuts {
            pieces = pieces.flatMap { piece -> [PortRange] in
                guard cut.upper >= piece.lower, cut.lower <= piece.upper else { return [piece] }
                var rest: [PortRange] = []
                if cut.lower > piece.lower, let left = PortRange(lower: piece.lower, upper: cut.lower - 1) { rest.append(left) }
                if cut.upper < piece.upper, let right = PortRange(lower: cut.upper + 1, upper: piece.upper) { rest.append(right) }
                return rest
            }
        }
        return pieces.sorted()
    }
}

/// One port or range of one protocol that migration uses.
public struct MigrationPort: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var transport: TransportProtocol
    public var range: PortRange
    public init(_ transport: TransportProtocol, _ range: PortRange) {
        self.transport = transport
        self.range = range
    }
    public static func < (lhs: MigrationPort, rhs: MigrationPort) -> Bool {
        lhs.transport != rhs.transport ? lhs.transport.rawValue < rhs.transport.rawValue : lhs.range < rhs.range
    }
    public var description: String { "\(transport.rawValue)/\(range)" }
    /// Whether every port of `other` is one of these (same protocol, range inside).
    public func covers(_ other: MigrationPort) -> Bool {
        transport == other.transport && range.lower <= other.range.lower && other.range.upper <= range.upper
    }
    /// Whether TCP `port` is one of these.
    public func coversTCP(_ port: UInt16) -> Bool { transport == .tcp && range.contains(port) }
}

/// A hypervisor profile: the ports its migration uses. Loaded from `templates/profiles/`.
public struct Profile: Hashable, Sendable {
    public var name: String
    public var summary: String
    public var ports: [MigrationPort]
    /// The ports (of `ports` or a performance option's) that are shared services other NICs
    /// legitimately carry too (libvirtd's 16509/16514, SSH, SMB): host mode guards them on the
    /// migration NIC only. Every other port is migration-only and is closed on every other NIC.
    public var shared: [MigrationPort]
    public init(name: String, summary: String, ports: [MigrationPort], shared: [MigrationPort] = []) {
        self.name = name
        self.summary = summary
        self.ports = ports
        self.shared = shared
    }
}

/// What host mode does with migration-only ports on the NICs that are not migration NICs.
public enum OtherInterfaces: String, Hashable, Sendable, CaseIterable {
    /// Dropped from every source, IPv4 and IPv6 (loopback excepted): migration arrives on the
    /// migration NIC(s) only. The default.
    case drop
    /// Left alone: the opt-out for hosts where migration must also arrive elsewhere. Every
    /// migration-only port is then open to anyone who reaches another NIC.
    case open
}

/// How migration authenticates. Audited by `migfw check`, not enforced by the firewall.
public enum Authentication: String, Hashable, Sendable, CaseIterable {
    case kerberos
    case credssp
    case tls
    case ssh
    case none
}

/// A trusted hypervisor: an address with an optional name.
public struct TrustedHost: Hashable, Sendable {
    public var name: String?
    public var address: Located<AnyCIDR>
    public init(name: String?, address: Located<AnyCIDR>) {
        self.name = name
        self.address = address
    }
}

/// The trusted sources of migration traffic.
public struct TrustedSources: Hashable, Sendable {
    public var networks: [Located<AnyCIDR>] = []
    public var hosts: [TrustedHost] = []
    /// The glob patterns as written.
    public var files: [Located<String>] = []
    /// Every prefix read from the files the globs matched, located in those files.
    public var filePrefixes = PrefixListEntries()
    /// The glob patterns of `files` that matched no file (a lint, not an error).
    public var unmatchedFiles: [Located<String>] = []
    /// Where the `trusted` key was written, when it was.
    public var location: SourceLocation?
    public init() {}
}

/// A rate such as `10/second`.
public struct RateLimit: Hashable, Sendable, CustomStringConvertible {
    public enum Unit: String, Hashable, Sendable, CaseIterable {
        case second, minute, hour, day
        /// The unit in seconds, as nftables' limit expression wants it.
        public var seconds: UInt64 {
            switch self {
            case .second: 1
            case .minute: 60
            case .hour: 3600
            case .day: 86400
            }
        }
    }
    public var count: UInt32
    public var unit: Unit
    public init(count: UInt32, unit: Unit) {
        self.count = count
        self.unit = unit
    }
    public var description: String { "\(count)/\(unit.rawValue)" }
}

/// Logging of dropped packets.
public struct LogOptions: Hashable, Sendable {
    public var drops: Bool
    public var rate: RateLimit
    public init(drops: Bool = false, rate: RateLimit = RateLimit(count: 10, unit: .second)) {
        self.drops = drops
        self.rate = rate
    }
}

/// A decoded, validated policy (format version 1).
public struct Policy: Hashable, Sendable {
    /// The file the policy was read from.
    public var path: String
    public var version: Int
    /// The (first) migration NIC.
    public var interface: Located<String> { interfaces[0] }
    /// Every migration NIC (`interface: [bond0, mig1]`), never empty: the first is ``interface``.
    public var interfaces: [Located<String>]
    /// Host mode: what happens to migration-only ports on every other NIC.
    public var otherInterfaces: Located<OtherInterfaces>? = nil
    /// The policy's own shared-service ports (see ``Profile/shared``), beside the profile's.
    public var shared: [Located<MigrationPort>] = []
    public var profile: Located<Profile>
    /// Extra ports beyond the profile's (for `custom`, the only ports).
    public var ports: [Located<MigrationPort>]
    public var dedicated: Bool
    public var egress: Bool
    public var authentication: Located<Authentication>?
    public var trusted: TrustedSources
    public var exclude: [Located<AnyCIDR>]
    public var log: LogOptions
    /// The policy states that very broad trusted prefixes (/0, < /8, < /16) are intended.
    public var allowBroad: Bool
    /// The profile's performance option when it has some (Hyper-V: `tcpip`, `compression`,
    /// `smb`); its extra ports are already part of `profile`.
    public var performance: Located<String>? = nil
    /// The optional `windows` key (Hyper-V host and Active Directory rendering).
    public var windows: WindowsOptions? = nil
    /// Gateway mode's settings; nil in host mode (the default, and every v1 policy without
    /// `mode: gateway`).
    public var gateway: GatewayOptions? = nil

    public init(
        path: String, version: Int, interface: Located<String>, profile: Located<Profile>,
        ports: [Located<MigrationPort>] = [], dedicated: Bool = true, egress: Bool = false,
        authentication: Located<Authentication>? = nil, trusted: TrustedSources = TrustedSources(),
        exclude: [Located<AnyCIDR>] = [], log: LogOptions = LogOptions(), allowBroad: Bool = false
    ) {
        self.path = path
        self.version = version
        self.interfaces = [interface]
        self.profile = profile
        self.ports = ports
        self.dedicated = dedicated
        self.egress = egress
        self.authentication = authentication
        self.trusted = trusted
        self.exclude = exclude
        self.log = log
        self.allowBroad = allowBroad
    }

    /// Every port migration uses: the profile's and the policy's own, sorted, duplicates removed.
    public var migrationPorts: [MigrationPort] {
        Array(Set(profile.value.ports + ports.map(\.value))).sorted()
    }

    /// Host mode's closing of other NICs: ``OtherInterfaces/drop`` unless the policy opts out.
    public var otherInterfacesPolicy: OtherInterfaces { otherInterfaces?.value ?? .drop }

    /// The migration ports that are not shared services: closed on every NIC but the
    /// migration NIC(s) in host mode. Sorted, per protocol, shared ports cut out of ranges.
    public var migrationOnlyPorts: [MigrationPort] {
        let shared = profile.value.shared + self.shared.map(\.value)
        var result: [MigrationPort] = []
        for transport in TransportProtocol.allCases {
            let cuts = shared.filter { $0.transport == transport }.map(\.range)
            for port in migrationPorts where port.transport == transport {
                result += port.range.subtracting(cuts).map { MigrationPort(transport, $0) }
            }
        }
        return Array(Set(result)).sorted()
    }

    /// How many trusted prefixes the policy lists (networks, hosts, files).
    public var trustedCount: Int {
        trusted.networks.count + trusted.hosts.count + trusted.filePrefixes.count
    }

    /// Calls `body` with every trusted prefix (networks, hosts, files), without locations.
    public func forEachTrustedValue(_ body: (AnyCIDR) -> Void) {
        for network in trusted.networks { body(network.value) }
        for host in trusted.hosts { body(host.address.value) }
        for value in trusted.filePrefixes.values { body(value) }
    }

    /// The trusted set the firewall enforces: all trusted prefixes minus the exclusions.
    public func trustedSet() -> AggregatedPrefixes {
        var aggregator = PrefixAggregator()
        forEachTrustedValue { aggregator.include($0) }
        for prefix in exclude { aggregator.exclude(prefix.value) }
        return aggregator.aggregate()
    }
}
