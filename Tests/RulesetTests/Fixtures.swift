import Foundation
import Policy
import Prefix
import Ruleset
import Testing

/// Policies built in code (the YAML loader lives on another branch), one per design profile.
enum Fixtures {
    static let here = SourceLocation(file: "test.yaml", line: 1, column: 1)

    static func port(_ transport: TransportProtocol, _ lower: UInt16, _ upper: UInt16? = nil) -> MigrationPort {
        MigrationPort(transport, PortRange(lower: lower, upper: upper ?? lower)!)
    }

    /// The design's profile table.
    static let profiles: [Profile] = [
        // As the built-in profiles mark them (PolicyTests checks those): shared ports stay
        // open on the NICs that are not migration NICs.
        Profile(name: "hyperv", summary: "Hyper-V", ports: [port(.tcp, 6600), port(.tcp, 445)], shared: [port(.tcp, 445)]),
        Profile(name: "libvirt", summary: "libvirt/QEMU",
                ports: [port(.tcp, 49152, 49215), port(.tcp, 16514), port(.tcp, 16509)],
                shared: [port(.tcp, 16514), port(.tcp, 16509)]),
        Profile(name: "proxmox", summary: "Proxmox VE", ports: [port(.tcp, 60000, 60050), port(.tcp, 22)], shared: [port(.tcp, 22)]),
        Profile(name: "vmware", summary: "vMotion", ports: [port(.tcp, 8000)]),
        Profile(name: "xen", summary: "Xen relocation", ports: [port(.tcp, 8002), port(.tcp, 8003)]),
        Profile(name: "custom", summary: "own ports", ports: []),
    ]

    static func profile(_ name: String) -> Profile { profiles.first { $0.name == name }! }

    static func cidr(_ text: String) -> AnyCIDR {
        let parts = text.split(separator: "/")
        let length = parts.count == 2 ? Int(parts[1])! : nil
        if parts[0].contains(":") {
            let address = parseIPv6(String(parts[0]))
            return .v6(CIDR(address: address, length: length ?? 128)!)
        }
        let octets = parts[0].split(separator: ".").map { UInt8($0)! }
        let address = IPv4Address(octets[0], octets[1], octets[2], octets[3])
        return .v4(CIDR(address: address, length: length ?? 32)!)
    }

    /// Enough IPv6 parsing for fixtures: full or `::`-compressed groups.
    static func parseIPv6(_ text: String) -> IPv6Address {
        let halves = text.components(separatedBy: "::")
        let head = halves[0].isEmpty ? [] : halves[0].split(separator: ":").map { UInt16($0, radix: 16)! }
        let tail = halves.count > 1 && !halves[1].isEmpty ? halves[1].split(separator: ":").map { UInt16($0, radix: 16)! } : []
        let groups = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        return IPv6Address(bits: groups.reduce(UInt128(0)) { $0 << 16 | UInt128($1) })
    }

    static func located(_ prefixes: [String]) -> [Located<AnyCIDR>] {
        prefixes.map { Located(cidr($0), at: here) }
    }

    /// A policy with the seed scenario's kind of trusted set unless told otherwise.
    static func policy(
        profile name: String = "libvirt", interface: String = "mig0", ports: [MigrationPort] = [],
        dedicated: Bool = true, egress: Bool = false, logDrops: Bool = false,
        rate: RateLimit = RateLimit(count: 10, unit: .second),
        networks: [String] = ["192.168.10.0/24", "2001:db8:10::/64"],
        hosts: [String] = ["192.168.20.11", "192.168.20.12"], exclude: [String] = ["192.168.10.1"]
    ) -> Policy {
        var trusted = TrustedSources()
        trusted.networks = located(networks)
        trusted.hosts = located(hosts).map { TrustedHost(name: nil, address: $0) }
        return Policy(
            path: "test.yaml", version: 1, interface: Located(interface, at: here),
            profile: Located(profile(name), at: here), ports: ports.map { Located($0, at: here) },
            dedicated: dedicated, egress: egress, trusted: trusted, exclude: located(exclude),
            log: LogOptions(drops: logDrops, rate: rate))
    }

    /// Every profile in every mode combination that changes the ruleset's shape.
    static var matrix: [Policy] {
        var policies: [Policy] = []
        for profile in profiles {
            let extra = profile.name == "custom" ? [port(.tcp, 7000, 7010), port(.udp, 4789), port(.udp, 5000, 5001)] : []
            for (dedicated, egress, log) in [(true, false, false), (false, false, false), (true, true, true), (false, true, true)] {
                policies.append(policy(profile: profile.name, ports: extra, dedicated: dedicated, egress: egress, logDrops: log))
            }
        }
        return policies
    }

    /// Gateway mode: every profile, routed and bridged, with and without egress and logging.
    static var gatewayMatrix: [Policy] {
        var policies: [Policy] = []
        for profile in profiles {
            let extra = profile.name == "custom" ? [port(.tcp, 7000, 7010), port(.udp, 4789)] : []
            for via in GatewayPath.allCases {
                for (egress, log) in [(false, false), (true, true)] {
                    policies.append(gateway(via, profile: profile.name, ports: extra, egress: egress, logDrops: log))
                }
            }
        }
        return policies
    }

    /// A gateway-mode policy protecting one host of each family and a network.
    static func gateway(_ via: GatewayPath, profile name: String = "hyperv", ports: [MigrationPort] = [],
                        egress: Bool = true, logDrops: Bool = false,
                        protected: [String] = ["10.20.0.0/24", "10.30.0.11", "fd00:20::/64"]) -> Policy {
        var policy = policy(profile: name, interface: via == .bridge ? "br0" : "prod0", ports: ports,
                            dedicated: false, egress: egress, logDrops: logDrops)
        var sources = TrustedSources()
        sources.networks = located(protected)
        policy.gateway = GatewayOptions(via: via, protected: sources, location: here)
        return policy
    }

    /// Renders every rule of `chain` in text, for readable assertions.
    static func lines(_ table: Table, _ chain: String) -> [String] {
        table.chain(named: chain)?.rules.map { NftText.render(rule: $0) } ?? []
    }
}

extension Policy {
    /// A short label for parameterised test output.
    var label: String {
        (gateway.map { "gateway \($0.via.rawValue) " } ?? "")
            + "\(profile.value.name) dedicated=\(dedicated) egress=\(egress) log=\(log.drops)"
    }
}

extension Policy: CustomTestStringConvertible {
    public var testDescription: String { label }
}
