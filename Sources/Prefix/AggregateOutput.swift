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
    /// item a line, each line ending in a newline.
    public func rendered(as format: AggregateFormat) -> [UInt8] {
        var all: [UInt8] = []
        render(as: format) { all += $0 }
        return all
    }

    /// ``rendered(as:)`` in pieces of about `chunkSize` bytes, handed to `emit` in order, so
    /// that printing a million prefixes never holds the whole text. Built as bytes because a
    /// String per line was the slowest part of printing.
    public func render(as format: AggregateFormat, chunkSize: Int = 1 << 16, _ emit: ([UInt8]) -> Void) {
        var out: [UInt8] = []
        out.reserveCapacity(chunkSize + 128)
        @inline(__always) func endLine() {
            out.append(0x0A)
            if out.count >= chunkSize {
                emit(out)
                out.removeAll(keepingCapacity: true)
            }
        }
        switch format {
        case .cidr:
            for range in ipv4 { range.forEachCIDR { AddressText.append($0, to: &out); endLine() } }
            for range in ipv6 { range.forEachCIDR { AddressText.append($0, to: &out); endLine() } }
        case .range:
            for range in ipv4 { appendRange(range, to: &out); endLine() }
            for range in ipv6 { appendRange(range, to: &out); endLine() }
        case .count:
            out += Array(countLine(ipv4).utf8)
            out += Array(countLine(ipv6).utf8)
        }
        if !out.isEmpty { emit(out) }
    }

    private func appendRange<A: IPAddress>(_ range: AddressRange<A>, to out: inout [UInt8]) {
        AddressText.append(range.lower, to: &out)
        out.append(UInt8(ascii: "-"))
        AddressText.append(range.upper, to: &out)
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
