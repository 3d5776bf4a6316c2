import Prefix

/// How match values are spelled, shared by the text and JSON renderers.
enum ValueText {
    /// nft's name for a field (`tcp dport`, `ip6 saddr`, `ct state`).
    static func name(_ field: MatchField) -> String {
        switch field {
        case .iifname: "iifname"
        case .oifname: "oifname"
        case .ctState: "ct state"
        case .metaProtocol: "meta protocol"
        default: "\(protocolName(field)!) \(fieldName(field)!)"
        }
    }

    /// The JSON `payload` protocol of a packet field.
    static func protocolName(_ field: MatchField) -> String? {
        switch field {
        case .ipSaddr, .ipDaddr: "ip"
        case .ip6Saddr, .ip6Daddr: "ip6"
        case .tcpSport, .tcpDport: "tcp"
        case .udpSport, .udpDport: "udp"
        case .icmpType: "icmp"
        case .icmpv6Type: "icmpv6"
        case .iifname, .oifname, .ctState, .metaProtocol: nil
        }
    }

    /// The JSON `payload` field name of a packet field.
    static func fieldName(_ field: MatchField) -> String? {
        switch field {
        case .ipSaddr, .ip6Saddr: "saddr"
        case .ipDaddr, .ip6Daddr: "daddr"
        case .tcpSport, .udpSport: "sport"
        case .tcpDport, .udpDport: "dport"
        case .icmpType, .icmpv6Type: "type"
        case .iifname, .oifname, .ctState, .metaProtocol: nil
        }
    }

    /// A value of `field`, for text; `quoted` strings get JSON quotes when `json` is set.
    /// Single ICMP types use nft's names; ranges use numbers, since names contain dashes.
    static func value(_ bytes: [UInt8], of field: MatchField, json: Bool, inRange: Bool = false) -> String {
        switch field {
        case .ipSaddr, .ipDaddr:
            let address = IPv4Address(bits: bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            return json ? "\"\(address)\"" : address.description
        case .ip6Saddr, .ip6Daddr:
            let address = IPv6Address(bits: bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) })
            return json ? "\"\(address)\"" : address.description
        case .metaProtocol:
            let type = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
            if !inRange, let name = etherTypeNames[type] { return json ? "\"\(name)\"" : name }
            // nft lists an EtherType it has no name for in hex (`meta protocol 0x9100`).
            if json || inRange { return "\(type)" }
            let digits = String(type, radix: 16)
            return "0x" + String(repeating: "0", count: 4 - digits.count) + digits
        case .icmpType, .icmpv6Type:
            let type = bytes[0]
            let names = field == .icmpType ? icmpTypeNames : icmpv6TypeNames
            if !inRange, let name = names[type] { return json ? "\"\(name)\"" : name }
            return "\(type)"
        default:
            return "\(bytes.reduce(0) { $0 << 8 | Int($1) })"
        }
    }

    /// `ct state` flags by name, in bit order.
    static func ctStateNames(_ state: CtState) -> [String]? {
        var rest = state
        var names: [String] = []
        for (flag, name) in CtState.names where state.contains(flag) {
            names.append(name)
            rest.remove(flag)
        }
        return rest.isEmpty && !names.isEmpty ? names : nil
    }

    /// EtherType names as nft spells them (`meta protocol`, `ether type`).
    static let etherTypeNames: [UInt16: String] = [
        0x0800: "ip", 0x0806: "arp", 0x86dd: "ip6", 0x8100: "8021q", 0x88a8: "8021ad",
    ]

    static let icmpTypeNames: [UInt8: String] = [
        0: "echo-reply", 3: "destination-unreachable", 4: "source-quench", 5: "redirect",
        8: "echo-request", 9: "router-advertisement", 10: "router-solicitation", 11: "time-exceeded",
        12: "parameter-problem", 13: "timestamp-request", 14: "timestamp-reply",
    ]

    static let icmpv6TypeNames: [UInt8: String] = [
        1: "destination-unreachable", 2: "packet-too-big", 3: "time-exceeded", 4: "parameter-problem",
        128: "echo-request", 129: "echo-reply", 133: "nd-router-solicit", 134: "nd-router-advert",
        135: "nd-neighbor-solicit", 136: "nd-neighbor-advert", 137: "nd-redirect",
    ]

    /// Syslog level names as nft spells them.
    static func levelName(_ level: LogLevel) -> String {
        switch level {
        case .emerg: "emerg"
        case .alert: "alert"
        case .crit: "crit"
        case .err: "err"
        case .warn: "warn"
        case .notice: "notice"
        case .info: "info"
        case .debug: "debug"
        }
    }

    /// nft's unit names for limit rates.
    static func unitName(_ seconds: UInt64) -> String? {
        switch seconds {
        case 1: "second"
        case 60: "minute"
        case 3600: "hour"
        case 86400: "day"
        case 604800: "week"
        default: nil
        }
    }

    /// A duration as nft prints it: `1h`, `1h30m`, `90s` is `1m30s`, `500ms`.
    static func duration(milliseconds: UInt64) -> String {
        var rest = milliseconds
        var text = ""
        for (unit, name) in [(UInt64(86_400_000), "d"), (3_600_000, "h"), (60_000, "m"), (1000, "s"), (1, "ms")] {
            if rest >= unit {
                text += "\(rest / unit)\(name)"
                rest %= unit
            }
        }
        return text.isEmpty ? "0ms" : text
    }

    /// A string nft's text parser takes between double quotes (it has no escapes).
    static func quotable(_ string: String) -> Bool {
        !string.utf8.contains { $0 == UInt8(ascii: "\"") || $0 < 0x20 || $0 == 0x7f }
    }

    /// A JSON string literal.
    static func jsonString(_ string: String) -> String { JSONText.quote(string) }
}
