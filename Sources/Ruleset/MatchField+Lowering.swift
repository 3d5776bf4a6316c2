/// Where a field lives in the packet and which protocol dependencies nft puts before it.
struct PayloadField: Hashable, Sendable {
    var base: PayloadBase
    var offset: UInt32
    var length: UInt32
    /// `meta nfproto` value nft requires first in an `inet` table (NFPROTO_IPV4 = 2, IPV6 = 10).
    var nfproto: UInt8?
    /// `meta l4proto` value nft requires first (IPPROTO_*).
    var l4proto: UInt8?
}

extension MatchField {
    /// The payload location; nil for the fields that are not in the packet (meta, ct).
    var payload: PayloadField? {
        switch self {
        case .iifname, .oifname, .ctState, .metaProtocol: nil
        case .ipSaddr: PayloadField(base: .network, offset: 12, length: 4, nfproto: 2)
        case .ipDaddr: PayloadField(base: .network, offset: 16, length: 4, nfproto: 2)
        case .ip6Saddr: PayloadField(base: .network, offset: 8, length: 16, nfproto: 10)
        case .ip6Daddr: PayloadField(base: .network, offset: 24, length: 16, nfproto: 10)
        case .tcpSport: PayloadField(base: .transport, offset: 0, length: 2, l4proto: 6)
        case .tcpDport: PayloadField(base: .transport, offset: 2, length: 2, l4proto: 6)
        case .udpSport: PayloadField(base: .transport, offset: 0, length: 2, l4proto: 17)
        case .udpDport: PayloadField(base: .transport, offset: 2, length: 2, l4proto: 17)
        // nft adds both dependencies for ICMP in an inet table (measured with --debug=netlink).
        case .icmpType: PayloadField(base: .transport, offset: 0, length: 1, nfproto: 2, l4proto: 1)
        case .icmpv6Type: PayloadField(base: .transport, offset: 0, length: 1, nfproto: 10, l4proto: 58)
        }
    }

    /// The field's width in bytes.
    var width: Int {
        switch self {
        case .iifname, .oifname: Match.interfaceNameSize
        case .ctState: 4
        case .metaProtocol: 2
        default: Int(payload!.length)
        }
    }

    /// The field with this payload location and transport dependency.
    static func field(base: PayloadBase, offset: UInt32, length: UInt32, l4proto: UInt8?) -> MatchField? {
        allCases.first { field in
            guard let p = field.payload else { return false }
            return p.base == base && p.offset == offset && p.length == length && p.l4proto == l4proto
        }
    }
}

/// The protocol dependencies a rule has established so far, so a second field of the same
/// protocol (`ip daddr ... ip saddr ...`) gets none of its own, as nft generates it.
struct LoweringContext {
    var family: TableFamily
    var nfproto: UInt8?
    var l4proto: UInt8?

    /// The dependency expressions for `payload`, and notes them as established.
    mutating func dependencies(for payload: PayloadField) -> [Expression] {
        var expressions: [Expression] = []
        if let nfproto = payload.nfproto, nfproto != self.nfproto {
            if family == .bridge {
                // A bridge table's `meta nfproto` is NFPROTO_BRIDGE for every frame: nft
                // checks the EtherType instead (`meta protocol`, which is the inner type of a
                // frame whose 802.1Q tag the stack has already taken off).
                expressions += [.meta(.protocol, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: LoweringContext.etherType(nfproto))]
            } else {
                expressions += [.meta(.nfproto, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: [nfproto])]
            }
            self.nfproto = nfproto
        }
        if let l4proto = payload.l4proto, l4proto != self.l4proto {
            expressions += [.meta(.l4proto, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: [l4proto])]
            self.l4proto = l4proto
        }
        return expressions
    }

    /// The EtherType (network byte order) of NFPROTO_IPV4 / NFPROTO_IPV6.
    static func etherType(_ nfproto: UInt8) -> [UInt8] { nfproto == 10 ? [0x86, 0xdd] : [0x08, 0x00] }

    /// The NFPROTO_* value of an EtherType, if it is IPv4 or IPv6.
    static func nfproto(etherType bytes: [UInt8]) -> UInt8? {
        switch bytes {
        case [0x08, 0x00]: 2
        case [0x86, 0xdd]: 10
        default: nil
        }
    }
}

extension Match {
    /// IFNAMSIZ: nft compares interface names as this many bytes, NUL-padded.
    public static let interfaceNameSize = 16

    /// The kernel expressions nft generates for this match alone in an `inet` table.
    public var lowered: [Expression] {
        var context = LoweringContext(family: .inet)
        return lowered(&context)
    }

    /// The kernel expressions nft generates for this match after the dependencies `context`
    /// holds.
    func lowered(_ context: inout LoweringContext) -> [Expression] {
        switch (field, value) {
        case (.iifname, .interface(let name)), (.oifname, .interface(let name)):
            return [
                .meta(field == .iifname ? .iifname : .oifname, dreg: .reg1),
                .cmp(negated ? .neq : .eq, sreg: .reg1, data: Match.paddedInterfaceName(name)),
            ]
        case (.metaProtocol, .value(let bytes)):
            return [.meta(.protocol, dreg: .reg1), .cmp(negated ? .neq : .eq, sreg: .reg1, data: bytes)]
        case (.ctState, .ctState(let state)):
            precondition(!negated, "`ct state !=` is not a flag match")
            let zero: [UInt8] = [0, 0, 0, 0]
            return [
                .ct(.state, dreg: .reg1),
                .bitwise(sreg: .reg1, dreg: .reg1, length: 4, mask: hostOrderBytes(state.rawValue), xor: zero),
                .cmp(.neq, sreg: .reg1, data: zero),
            ]
        default:
            guard let payload = field.payload else { preconditionFailure("\(value) does not fit \(field)") }
            var expressions = context.dependencies(for: payload)
            expressions.append(.payload(payload.base, offset: payload.offset, length: payload.length, dreg: .reg1))
            switch value {
            case .value(let bytes):
                expressions.append(.cmp(negated ? .neq : .eq, sreg: .reg1, data: bytes))
            case .range(let from, let to) where negated:
                expressions.append(.range(.neq, sreg: .reg1, from: from, to: to))
            case .range(let from, let to):
                expressions += [.cmp(.gte, sreg: .reg1, data: from), .cmp(.lte, sreg: .reg1, data: to)]
            case .set(let name):
                expressions.append(.lookup(set: name, sreg: .reg1, inverted: negated))
            case .interface, .ctState:
                preconditionFailure("\(value) does not fit \(field)")
            }
            return expressions
        }
    }

    /// `name` as the kernel compares it: the bytes, then NULs up to IFNAMSIZ.
    static func paddedInterfaceName(_ name: String) -> [UInt8] {
        var bytes = Array(name.utf8.prefix(interfaceNameSize))
        bytes += [UInt8](repeating: 0, count: interfaceNameSize - bytes.count)
        return bytes
    }
}

extension Statement {
    /// This statement's kernel expressions (alone, in an `inet` table).
    public var lowered: [Expression] {
        var context = LoweringContext(family: .inet)
        return lowered(&context)
    }

    func lowered(_ context: inout LoweringContext) -> [Expression] {
        switch self {
        case .match(let match): return match.lowered(&context)
        case .counter: return [.counter]
        case .limit(let rate, let unit, let burst, let over):
            return [.limit(rate: rate, unitSeconds: unit, burst: burst, inverted: over)]
        case .log(let prefix, let level): return [.log(prefix: prefix, level: level)]
        case .verdict(let verdict): return [.verdict(verdict)]
        case .update(let set, let key):
            guard let payload = key.payload else { preconditionFailure("\(key) is not a packet field") }
            return context.dependencies(for: payload)
                + [.payload(payload.base, offset: payload.offset, length: payload.length, dreg: .reg1),
                   .dynsetUpdate(set: set, sreg: .reg1)]
        }
    }

    /// The kernel expressions of a whole rule written as `statements` in a table of `family`:
    /// each protocol dependency once, before the first field that needs it.
    public static func lowered(_ statements: [Statement], family: TableFamily = .inet) -> [Expression] {
        var context = LoweringContext(family: family)
        return statements.flatMap { $0.lowered(&context) }
    }
}

/// Conntrack keys are host byte order in the kernel, unlike packet fields.
func hostOrderBytes(_ value: UInt32) -> [UInt8] {
    let ordered = UInt32(1).littleEndian == 1 ? value : value.byteSwapped
    return (0..<4).map { UInt8(truncatingIfNeeded: ordered >> (8 * $0)) }
}

/// The inverse of ``hostOrderBytes(_:)``.
func hostOrderValue(_ bytes: [UInt8]) -> UInt32? {
    guard bytes.count == 4 else { return nil }
    let little = bytes.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
    return UInt32(1).littleEndian == 1 ? little : little.byteSwapped
}

/// Big-endian bytes of a port.
func networkBytes(_ port: UInt16) -> [UInt8] { [UInt8(port >> 8), UInt8(port & 0xff)] }
