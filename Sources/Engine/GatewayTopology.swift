import Foundation
import Netlink
import Policy
import Prefix

/// Gateway mode's topology lint, run by `migfw check` on the gateway itself: a protected
/// address this machine has no route toward (routed), or a bridge without ports (bridged),
/// means the protected hosts' traffic does not pass here and nothing would be filtered.
///
/// Reads the current network namespace's routes (`/proc/net/route`, `/proc/net/ipv6_route`)
/// and bridge ports (`/sys/class/net/BRIDGE/brif`). When the policy's interface does not
/// exist here, `check` is not running on the gateway, and nothing is reported.
public enum GatewayTopology {
    /// One route: destination prefix and device.
    public struct Route: Hashable, Sendable {
        public var destination: AnyCIDR
        public var device: String
        public init(destination: AnyCIDR, device: String) {
            self.destination = destination
            self.device = device
        }
    }

    /// The findings for `policy` on this machine (none in host mode). `addresses` are this
    /// machine's own (nil: read from the current network namespace).
    public static func findings(_ policy: Policy, netRoot: String = "/proc/net", sysRoot: String = "/sys/class/net",
                                addresses: [HostNetwork.AssignedAddress]? = nil) -> [Finding] {
        guard policy.gateway != nil,
              FileManager.default.fileExists(atPath: "\(sysRoot)/\(policy.interface.value)") else { return [] }
        return pathFindings(policy, netRoot: netRoot, sysRoot: sysRoot)
            + trustedOwnAddresses(policy, addresses ?? HostNetwork.assignedAddresses())
    }

    /// The gateway's own addresses inside the trusted set: its own connections to the
    /// protected hosts' migration ports pass, and so does every client of a relay on it
    /// (`ssh -L`, a proxy), whose connections leave from the gateway's address.
    static func trustedOwnAddresses(_ policy: Policy, _ addresses: [HostNetwork.AssignedAddress]) -> [Finding] {
        let trusted = policy.trustedSet()
        var seen = Set<AnyCIDR>()
        return addresses.compactMap { assigned -> Finding? in
            guard assigned.interface != "lo" else { return nil }
            let (inside, text): (Bool, String)
            switch assigned.address {
            case .v4(let host): (inside, text) = (trusted.ipv4.contains { $0.contains(host.address) }, "\(host.address)")
            case .v6(let host): (inside, text) = (trusted.ipv6.contains { $0.contains(host.address) }, "\(host.address)")
            }
            guard inside, seen.insert(assigned.address).inserted else { return nil }
            let entry = policy.trusted.networks.first { AddressSpaceCheck.contains($0.value, assigned.address) }?.location
                ?? policy.trusted.hosts.first { AddressSpaceCheck.contains($0.address.value, assigned.address) }?.address.location
                ?? policy.trusted.location ?? policy.interface.location
            return Finding(
                id: "gateway-address-trusted", severity: .warning, location: entry,
                message: "this gateway's own address \(text) (\(assigned.interface)) is trusted: its own connections to the protected hosts' migration ports pass, and so does anyone who uses a relay on it (ssh -L, a proxy), whose connections leave from this address",
                hint: "add \(text) to exclude")
        }
    }

    /// Whether the protected hosts' traffic passes this machine and its protected side.
    static func pathFindings(_ policy: Policy, netRoot: String, sysRoot: String) -> [Finding] {
        guard let gateway = policy.gateway else { return [] }
        let interface = policy.interface
        switch gateway.via {
        case .bridge:
            guard FileManager.default.fileExists(atPath: "\(sysRoot)/\(interface.value)/bridge") else {
                return [Finding(
                    id: "gateway-not-a-bridge", severity: .warning, location: interface.location,
                    message: "interface: '\(interface.value)' is not a bridge: a bridged gateway filters nothing on it",
                    hint: "name the Linux bridge the migration traffic crosses, or use 'gateway: { via: routed }'")]
            }
            let ports = (try? FileManager.default.contentsOfDirectory(atPath: "\(sysRoot)/\(interface.value)/brif")) ?? []
            guard ports.count < 2 else {
                // A named side that is not a port of this bridge guards nothing.
                return gateway.protectedSide.filter { !ports.contains($0.value) }.map { side in
                    Finding(id: "gateway-side-not-a-port", severity: .warning, location: side.location,
                            message: "gateway.protected_side: '\(side.value)' is not a port of bridge '\(interface.value)' (ports: \(ports.sorted().joined(separator: ", "))): the protected hosts' unlisted addresses pass unfiltered",
                            hint: "name the bridge port(s) toward the protected hosts")
                }
            }
            return [Finding(
                id: "gateway-bridge-ports", severity: .warning, location: interface.location,
                message: "interface: bridge '\(interface.value)' has \(ports.count) port(s): no traffic crosses it toward the protected hosts, so nothing would be filtered",
                hint: "add the ports toward the protected hosts and toward the network (ip link set PORT master \(interface.value))")]
        case .routed:
            let routes = readRoutes(netRoot: netRoot)
            var findings: [Finding] = []
            func visit(_ value: AnyCIDR, _ location: SourceLocation) {
                guard !routes.contains(where: { $0.destination.length > 0 && AddressSpaceCheck.contains($0.destination, value) }) else { return }
                findings.append(Finding(
                    id: "gateway-no-route", severity: .warning, location: location,
                    message: "protected: this machine has no route toward \(value) other than a default route: its traffic does not pass here, so nothing would be filtered",
                    hint: "check the address, or route the protected network through this machine (e.g. via \(interface.value))"))
            }
            for network in gateway.protected.networks { visit(network.value, network.location) }
            for host in gateway.protected.hosts { visit(host.address.value, host.address.location) }
            // A protected host routed through another NIC than the protected side: its listed
            // addresses are guarded, its others (SLAAC, privacy, the other version) are not.
            let side = Set(policy.protectedSideInterfaces)
            func checkSide(_ value: AnyCIDR, _ location: SourceLocation) {
                let candidates = routes.filter { $0.destination.length > 0 && AddressSpaceCheck.contains($0.destination, value) }
                guard let best = candidates.max(by: { $0.destination.length < $1.destination.length }),
                      !side.contains(best.device) else { return }
                findings.append(Finding(
                    id: "gateway-side-route", severity: .warning, location: location,
                    message: "protected: \(value) is reached through \(best.device), not through the protected side (\(side.sorted().joined(separator: ", "))): its listed addresses are guarded there, its other addresses are not",
                    hint: "add \(best.device) to gateway.protected_side"))
            }
            for network in gateway.protected.networks { checkSide(network.value, network.location) }
            for host in gateway.protected.hosts { checkSide(host.address.value, host.address.location) }
            return findings
        }
    }

    /// The IPv4 and IPv6 routes of the main table in the current network namespace.
    public static func readRoutes(netRoot: String = "/proc/net") -> [Route] {
        var routes: [Route] = []
        if let text = try? String(contentsOfFile: "\(netRoot)/route", encoding: .utf8) {
            // Iface Destination Gateway Flags RefCnt Use Metric Mask ... (addresses in host-order hex)
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
                guard fields.count >= 8, let destination = UInt32(fields[1], radix: 16), let mask = UInt32(fields[7], radix: 16)
                else { continue }
                let address = IPv4Address(bits: UInt32(littleEndian: destination).bigEndianValue)
                let length = UInt32(littleEndian: mask).bigEndianValue.nonzeroBitCount
                guard let cidr = CIDR(address: address, length: length) else { continue }
                routes.append(Route(destination: .v4(cidr), device: String(fields[0])))
            }
        }
        if let text = try? String(contentsOfFile: "\(netRoot)/ipv6_route", encoding: .utf8) {
            // dest destlen src srclen nexthop metric refcnt use flags iface
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count >= 10, fields[0].count == 32, let high = UInt64(fields[0].prefix(16), radix: 16),
                      let low = UInt64(fields[0].suffix(16), radix: 16), let length = Int(fields[1], radix: 16),
                      let cidr = CIDR(address: IPv6Address(bits: UInt128(high) << 64 | UInt128(low)), length: length),
                      fields[9] != "lo" else { continue }
                routes.append(Route(destination: .v6(cidr), device: String(fields[9])))
            }
        }
        return routes
    }
}

/// Prefix containment across families.
enum AddressSpaceCheck {
    static func contains(_ outer: AnyCIDR, _ inner: AnyCIDR) -> Bool {
        switch (outer, inner) {
        case (.v4(let a), .v4(let b)): a.contains(b)
        case (.v6(let a), .v6(let b)): a.contains(b)
        default: false
        }
    }
}

private extension UInt32 {
    /// The value with its bytes in network order read as a number (`0x0100a8c0` -> 192.168.0.1).
    var bigEndianValue: UInt32 { self.byteSwapped }
}
