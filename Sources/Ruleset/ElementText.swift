import Prefix

/// How set elements are written: a single address, a prefix when the interval is exactly one,
/// otherwise `first-last`. nft accepts all three forms in text and JSON.
enum ElementForm<Address: IPAddress> {
    case host(Address)
    case prefix(Address, length: Int)
    case range(Address, Address)

    init(_ range: AddressRange<Address>) {
        let span = range.upper.bits &- range.lower.bits
        if span == 0 {
            self = .host(range.lower)
        } else if span & (span &+ 1) == 0, range.lower.bits & span == 0 {
            // `span` is all ones below some bit and the start is aligned: one prefix.
            self = .prefix(range.lower, length: Address.bitWidth - span.nonzeroBitCount)
        } else {
            self = .range(range.lower, range.upper)
        }
    }

    /// nft text: `10.0.0.1`, `10.0.0.0/8`, `10.0.0.1-10.0.0.5`.
    var text: String {
        switch self {
        case .host(let address): address.description
        case .prefix(let address, let length): "\(address)/\(length)"
        case .range(let lower, let upper): "\(lower)-\(upper)"
        }
    }

    /// libnftables JSON: `"10.0.0.1"`, `{"prefix":{...}}`, `{"range":[...]}`.
    var json: String {
        switch self {
        case .host(let address): "\"\(address)\""
        case .prefix(let address, let length): "{\"prefix\":{\"addr\":\"\(address)\",\"len\":\(length)}}"
        case .range(let lower, let upper): "{\"range\":[\"\(lower)\",\"\(upper)\"]}"
        }
    }
}

extension SetElements {
    /// Each element in nft text form, ascending.
    var textElements: [String] {
        switch self {
        case .ipv4(let ranges): ranges.map { ElementForm($0).text }
        case .ipv6(let ranges): ranges.map { ElementForm($0).text }
        case .ports(let ranges): ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
        case .unknown(_, _, let keys): keys.map { "0x" + $0.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
        }
    }

    /// Each element in libnftables JSON form, ascending.
    var jsonElements: [String] {
        switch self {
        case .ipv4(let ranges): ranges.map { ElementForm($0).json }
        case .ipv6(let ranges): ranges.map { ElementForm($0).json }
        case .ports(let ranges): ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "{\"range\":[\($0.lowerBound),\($0.upperBound)]}" }
        case .unknown(_, _, let keys): keys.map { "\"0x" + $0.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() + "\"" }
        }
    }
}
