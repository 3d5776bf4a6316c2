/// How `migfw aggregate` prints a result.
public enum AggregateFormat: String, CaseIterable, Sendable {
    /// The minimal CIDR cover, one prefix a line, every prefix with its length.
    case cidr
    /// The minimal intervals, `first-last` a line (also when first == last).
    case range
    /// Per family: `ipv4 prefixes=N ranges=N addresses=N`.
    case count
}

extension AggregatedPrefixes {
    /// The result as text in `format`: IPv4 first, ascending, then IPv6, ascending, one
    /// item a line, each line ending in a newline. Built as bytes in one buffer because a
    /// String per line was the slowest part of printing a million prefixes.
    public func rendered(as format: AggregateFormat) -> [UInt8] {
        var out: [UInt8] = []
        switch format {
        case .cidr:
            out.reserveCapacity(ipv4.count * 20 + ipv6.count * 48)
            for range in ipv4 { range.forEachCIDR { AddressText.append($0, to: &out); out.append(0x0A) } }
            for range in ipv6 { range.forEachCIDR { AddressText.append($0, to: &out); out.append(0x0A) } }
        case .range:
            out.reserveCapacity(ipv4.count * 32 + ipv6.count * 80)
            appendRanges(ipv4, to: &out)
            appendRanges(ipv6, to: &out)
        case .count:
            out += Array(countLine(ipv4).utf8)
            out += Array(countLine(ipv6).utf8)
        }
        return out
    }

    private func appendRanges<A: IPAddress>(_ ranges: [AddressRange<A>], to out: inout [UInt8]) {
        for range in ranges {
            AddressText.append(range.lower, to: &out)
            out.append(UInt8(ascii: "-"))
            AddressText.append(range.upper, to: &out)
            out.append(0x0A)
        }
    }

    private func countLine<A: IPAddress>(_ ranges: [AddressRange<A>]) -> String {
        var prefixes = 0
        var addresses: A.Bits = 0
        var wholeSpace = false  // 2^bitWidth addresses do not fit in Bits
        for range in ranges {
            range.forEachCIDR { _ in prefixes += 1 }
            let (sum, overflow) = addresses.addingReportingOverflow(range.upper.bits - range.lower.bits)
            let (total, overflowAgain) = sum.addingReportingOverflow(1)
            if overflow || overflowAgain { wholeSpace = true }
            addresses = total
        }
        let addressText = wholeSpace ? (A.bitWidth == 32 ? "4294967296" : "340282366920938463463374607431768211456")
                                     : "\(addresses)"
        return "\(A.family.rawValue) prefixes=\(prefixes) ranges=\(ranges.count) addresses=\(addressText)\n"
    }
}
