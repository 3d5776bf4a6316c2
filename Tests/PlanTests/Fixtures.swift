import Prefix
import Ruleset

/// Small tables shaped like the ones the compiler builds, for planner tests.
enum Fixtures {
    static func v4(_ text: String) -> AddressRange<IPv4Address> {
        let parts = text.split(separator: "/")
        let octets = parts[0].split(separator: ".").map { UInt8($0)! }
        let address = IPv4Address(octets[0], octets[1], octets[2], octets[3])
        return CIDR(masking: address, length: parts.count > 1 ? Int(parts[1])! : 32).range
    }

    static func v6(_ text: String) -> AddressRange<IPv6Address> {
        guard case .v6(let cidr) = try! PrefixParser.parse(text) else { fatalError(text) }
        return cidr.range
    }

    static func ifname(_ name: String) -> [UInt8] {
        Array(name.utf8) + Array(repeating: 0, count: 16 - name.utf8.count)
    }

    static let iifReturn = Rule([
        .meta(.iifname, dreg: .reg1), .cmp(.neq, sreg: .reg1, data: ifname("mig0")), .verdict(.return),
    ])
    static let established = Rule([
        .ct(.state, dreg: .reg1),
        .bitwise(sreg: .reg1, dreg: .reg1, length: 4, mask: [6, 0, 0, 0], xor: [0, 0, 0, 0]),
        .cmp(.neq, sreg: .reg1, data: [0, 0, 0, 0]), .verdict(.accept),
    ])
    static let trusted4Rule = Rule([
        .meta(.nfproto, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: [2]),
        .payload(.network, offset: 12, length: 4, dreg: .reg1),
        .lookup(set: NamedSet.trusted4, sreg: .reg1, inverted: false),
        .meta(.l4proto, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: [6]),
        .payload(.transport, offset: 2, length: 2, dreg: .reg1),
        .range(.eq, sreg: .reg1, from: [0xc0, 0x00], to: [0xc0, 0x3f]),
        .verdict(.accept),
    ])
    static let trusted6Rule = Rule([
        .meta(.nfproto, dreg: .reg1), .cmp(.eq, sreg: .reg1, data: [10]),
        .payload(.network, offset: 8, length: 16, dreg: .reg1),
        .lookup(set: NamedSet.trusted6, sreg: .reg1, inverted: false),
        .verdict(.accept),
    ])
    static let dropRest = Rule([.counter, .verdict(.drop)], comment: "untrusted")

    static func table(
        trusted4: [String] = ["192.168.10.0/24", "192.168.20.11"],
        trusted6: [String] = ["2001:db8:10::/64"],
        policy: Verdict = .accept
    ) -> Table {
        Table(
            sets: [
                NamedSet(name: NamedSet.trusted4, elements: .ipv4(trusted4.map(v4))),
                NamedSet(name: NamedSet.trusted6, elements: .ipv6(trusted6.map(v6))),
            ],
            chains: [
                Chain(name: "input", base: BaseChain(hook: .input, policy: policy),
                      rules: [iifReturn, established, trusted4Rule, trusted6Rule, dropRest]),
            ]
        )
    }

    /// `count` distinct IPv4 /32s spread over 10.0.0.0/8, every other address, sorted.
    static func hosts(_ count: Int, offset: UInt32 = 0) -> [AddressRange<IPv4Address>] {
        (0..<UInt32(count)).map { index in
            let address = IPv4Address(bits: 0x0A00_0000 + 2 * index + offset)
            return AddressRange(lower: address, upper: address)!
        }
    }
}
