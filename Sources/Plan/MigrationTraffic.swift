import Ruleset

/// Which way a migration packet travels through a hook, and whether it opens the connection
/// or answers it.
struct TrafficDirection: Hashable {
    /// How the packet crosses the host: which of its interface names is a migration NIC's.
    enum Path: Hashable { case inbound, outbound, forwarded }

    var path: Path
    /// It answers a migration connection: the migration port is its source port and its
    /// destination port the peer's (ephemeral) one.
    var isReply = false

    /// A trusted peer's packet to this host's migration port.
    static let inbound = TrafficDirection(path: .inbound)
    /// This host's reply to it (SYN-ACK and the rest of the stream), from the migration port.
    static let reply = TrafficDirection(path: .outbound, isReply: true)
    /// This host's own packet to a peer's migration port (`egress`).
    static let outbound = TrafficDirection(path: .outbound)
    /// The peer's reply to it, arriving from the migration port.
    static let inboundReply = TrafficDirection(path: .inbound, isReply: true)
    /// A gateway's packet toward a protected host's migration port.
    static let forwarded = TrafficDirection(path: .forwarded)
    /// A gateway's packet from a protected host's migration port back to the peer.
    static let forwardedReply = TrafficDirection(path: .forwarded, isReply: true)

    /// The TCP port field that holds the migration port.
    var migrationPortField: RuleMatch.PortField { isReply ? .source : .destination }
    /// The TCP port field that holds the other end's (ephemeral) port.
    var peerPortField: RuleMatch.PortField { isReply ? .destination : .source }

    /// Connection states a migration packet of this direction never has: migfw accepts no
    /// invalid or untracked packet, and a reply is never `new`.
    var impossibleStates: CtState { isReply ? [.invalid, .untracked, .new] : [.invalid, .untracked] }
}

/// What migfw accepts, as its own table says: the TCP ports of its `tcp_ports` set, the
/// hooks its traffic crosses, and the interfaces its base chains dispatch to the migration
/// rules (host mode).
struct MigrationTraffic {
    var ports: [ClosedRange<UInt16>] = []
    var hooks: Set<BaseChain.Hook> = []
    var interfaces: [BaseChain.Hook: [[UInt8]]] = [:]
    /// migfw's table forwards (a gateway).
    var gateway = false
    /// migfw's table is a bridged gateway's (`table bridge migfw`).
    var bridged = false
    /// Whether the IP families' hooks see bridged frames (a bridged gateway only).
    var bridgeNetfilter = BridgeNetfilter.unknown
    /// Host mode: whether a migration NIC is a bridge, whose bridge-family chains then see
    /// its frames (no bridge: those chains never meet migration traffic).
    var hostBridges = true

    init(_ table: Table, bridgeNetfilter: BridgeNetfilter = .unknown, hostBridges: Bool = true) {
        self.bridgeNetfilter = bridgeNetfilter
        self.hostBridges = hostBridges
        for set in table.sets where set.name == "tcp_ports" {
            if case .ports(let ranges) = set.elements { ports = ranges }
        }
        bridged = table.family == .bridge
        for chain in table.chains {
            guard let base = chain.base else { continue }
            hooks.insert(base.hook)
            if base.hook == .forward { gateway = true }
            interfaces[base.hook, default: []] += Self.dispatchedInterfaces(chain)
        }
    }

    /// The NICs a base chain sends to the migration rules: `iifname "mig0" goto migration_in`
    /// (one per migration NIC), or in a table from before other NICs were closed
    /// `iifname != "mig0" return`. Migration is accepted there only.
    private static func dispatchedInterfaces(_ chain: Chain) -> [[UInt8]] {
        chain.rules.compactMap { rule in
            let e = rule.expressions
            guard e.count >= 3, case .meta(let key, _) = e[0], key == .iifname || key == .oifname,
                  case .cmp(let op, _, let data) = e[1] else { return nil }
            switch (op, e[2]) {
            case (.neq, .verdict(.return)), (.eq, .verdict(.goto)), (.eq, .verdict(.jump)): return RuleMatch.trimmed(data)
            default: return nil
            }
        }
    }

    /// Whether base chains of a `family` table meet migration packets at all. With a bridged
    /// gateway the IP families' do only through br_netfilter (`bridge-nf-call-iptables`).
    func crosses(_ family: TableFamily) -> Bool {
        switch family {
        case .netdev: true
        case .bridge: bridged || gateway || hostBridges
        case .inet: !bridged || bridgeNetfilter.ipv4 || bridgeNetfilter.ipv6
        case .ip: !bridged || bridgeNetfilter.ipv4
        case .ip6: !bridged || bridgeNetfilter.ipv6
        case .arp: false
        }
    }

    /// How migfw's traffic crosses `hook` of a `family` table: none, one or several ways. A
    /// netdev table's hook 0 is ingress (modelled as prerouting), 1 egress (as input).
    func directions(of hook: BaseChain.Hook, family: TableFamily) -> [TrafficDirection] {
        guard crosses(family) else { return [] }
        if gateway { return gatewayCrosses(hook, family: family) ? [.forwarded, .forwardedReply] : [] }
        let accepts = hooks.contains(.input), egress = hooks.contains(.output)
        var directions: [TrafficDirection] = []
        switch hostSide(of: hook, family: family) {
        case .arriving?:
            if accepts { directions.append(.inbound) }
            if egress { directions.append(.inboundReply) }
        case .leaving?:
            if egress { directions.append(.outbound) }
            if accepts { directions.append(.reply) }
        case nil: break
        }
        return directions
    }

    private enum HostSide { case arriving, leaving }

    /// Whether `hook` of a `family` table sees a host's packets arriving or leaving; nil:
    /// neither (forward: the host's own packets are never forwarded).
    private func hostSide(of hook: BaseChain.Hook, family: TableFamily) -> HostSide? {
        if family == .netdev { return hook == .prerouting ? .arriving : hook == .input ? .leaving : nil }
        switch hook {
        case .prerouting, .input: return .arriving
        case .output, .postrouting: return .leaving
        case .forward: return nil
        }
    }

    /// Whether a gateway's forwarded migration packets cross `hook` of a `family` table: the
    /// IP families' prerouting, forward and postrouting; netdev ingress and egress; a bridged
    /// gateway's bridge prerouting, forward and postrouting; a routed gateway's bridge hooks
    /// but forward, where its interfaces are bridges (the frame goes up to the routing
    /// stack and down again).
    private func gatewayCrosses(_ hook: BaseChain.Hook, family: TableFamily) -> Bool {
        switch family {
        case .netdev: return hook == .prerouting || hook == .input
        case .bridge where !bridged: return hook != .forward
        default: return [.prerouting, .forward, .postrouting].contains(hook)
        }
    }

    /// The migration NICs a packet of `direction` crosses a `family` table's hook on, by
    /// name; nil: any (forwarded packets; bridge and netdev chains, whose interface is a
    /// bridge's port or the chain's device rather than the NIC that carries the address).
    func interfaces(for direction: TrafficDirection, family: TableFamily) -> [[UInt8]]? {
        guard family != .bridge, family != .netdev else { return nil }
        switch direction.path {
        case .forwarded: return nil
        // Replies leave by the NIC the connection came in on, and come back by the one it left by.
        case .inbound: return interfaces[direction.isReply ? .output : .input]
        case .outbound: return interfaces[direction.isReply ? .input : .output]
        }
    }
}
