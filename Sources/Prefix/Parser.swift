/// Strict byte-level parsing of addresses and prefixes.
///
/// Rules: IPv4 is exactly four decimal octets without leading zeros; IPv6 is any RFC 4291
/// text form (with `::` and an embedded dotted quad), no zone id; the length is decimal
/// without leading zeros, 0-32 or 0-128; a bare address is a host prefix; host bits are
/// an error. Works on raw bytes because String splitting was measured ~40x slower.
public enum PrefixParser {
    /// Parses `text` as an address or prefix.
    public static func parse(_ text: String) throws(PrefixParseError) -> AnyCIDR {
        var copy = text
        let result: Result<AnyCIDR, PrefixParseError> = copy.withUTF8 { bytes in
            do throws(PrefixParseError) { return .success(try parse(bytes)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Parses `bytes` (no surrounding whitespace) as an address or prefix.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(PrefixParseError) -> AnyCIDR {
        func fail(_ reason: PrefixParseError.Reason, _ offset: Int) -> PrefixParseError {
            PrefixParseError(reason, offset: offset, text: String(decoding: bytes, as: UTF8.self))
        }
        guard !bytes.isEmpty else { throw fail(.empty, 0) }
        var slash = bytes.count
        var sawColon = false
        for index in 0..<bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "/") { slash = index; break }
            if byte == UInt8(ascii: ":") { sawColon = true }
            if byte == UInt8(ascii: "%") { throw fail(.zoneID, index) }
        }
        let addressBytes = UnsafeBufferPointer(rebasing: bytes[0..<slash])
        var length: Int? = nil
        if slash < bytes.count {
            guard let parsed = parseLength(UnsafeBufferPointer(rebasing: bytes[(slash + 1)...])) else {
                throw fail(.badLength, slash + 1)
            }
            length = parsed
        }
        if sawColon {
            let address: IPv6Address
            switch parseIPv6(addressBytes) {
            case .success(let value): address = value
            case .failure(let problem): throw fail(problem.reason, problem.offset)
            }
            return .v6(try prefix(address, length ?? 128, lengthOffset: slash + 1, fail: fail))
        }
        let address: IPv4Address
        switch parseIPv4(addressBytes) {
        case .success(let value): address = value
        case .failure(let problem): throw fail(problem.reason, problem.offset)
        }
        return .v4(try prefix(address, length ?? 32, lengthOffset: slash + 1, fail: fail))
    }

    private static func prefix<A: IPAddress>(
        _ address: A, _ length: Int, lengthOffset: Int,
        fail: (PrefixParseError.Reason, Int) -> PrefixParseError
    ) throws(PrefixParseError) -> CIDR<A> {
        guard length <= A.bitWidth else { throw fail(.badLength, lengthOffset) }
        if let cidr = CIDR(address: address, length: length) { return cidr }
        let network = CIDR(masking: address, length: length)
        let narrowest = A.bitWidth - address.bits.trailingZeroBitCount
        let narrower = CIDR(address: address, length: narrowest)
        throw fail(.hostBitsSet(network: wrap(network), narrower: narrower.map(wrap)), 0)
    }

    private static func wrap<A: IPAddress>(_ cidr: CIDR<A>) -> AnyCIDR {
        if let v4 = cidr as? CIDR<IPv4Address> { return .v4(v4) }
        return .v6(cidr as! CIDR<IPv6Address>)
    }

    struct Problem: Error {
        let reason: PrefixParseError.Reason
        let offset: Int
    }

    static func parseLength(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard (1...3).contains(bytes.count) else { return nil }
        if bytes.count > 1 && bytes[0] == UInt8(ascii: "0") { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// Exactly four decimal octets, no leading zeros, each 0-255.
    static func parseIPv4(_ bytes: UnsafeBufferPointer<UInt8>, base: Int = 0) -> Result<IPv4Address, Problem> {
        var value: UInt32 = 0
        var octets = 0
        var index = 0
        while index <= bytes.count {
            let start = index
            var octet: UInt32 = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                octet = octet * 10 + UInt32(bytes[index] - UInt8(ascii: "0"))
                index += 1
                if index - start > 3 { return .failure(Problem(reason: .malformedAddress, offset: base + start)) }
            }
            let digits = index - start
            guard digits > 0 else { return .failure(Problem(reason: .malformedAddress, offset: base + index)) }
            if digits > 1 && bytes[start] == UInt8(ascii: "0") {
                return .failure(Problem(reason: .leadingZero, offset: base + start))
            }
            guard octet <= 255 else { return .failure(Problem(reason: .octetOutOfRange, offset: base + start)) }
            value = value << 8 | octet
            octets += 1
            if index == bytes.count { break }
            guard bytes[index] == UInt8(ascii: "."), octets < 4 else {
                return .failure(Problem(reason: .malformedAddress, offset: base + index))
            }
            index += 1
        }
        guard octets == 4 else { return .failure(Problem(reason: .malformedAddress, offset: base + bytes.count)) }
        return .success(IPv4Address(bits: value))
    }

    /// RFC 4291 section 2.2 text forms: full, `::`-compressed, and with a trailing dotted quad.
    static func parseIPv6(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<IPv6Address, Problem> {
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var compressed = false
        var index = 0
        let count = bytes.count
        func bad(_ at: Int) -> Result<IPv6Address, Problem> { .failure(Problem(reason: .malformedAddress, offset: at)) }
        if count >= 2 && bytes[0] == UInt8(ascii: ":") {
            guard bytes[1] == UInt8(ascii: ":") else { return bad(0) }
            compressed = true
            index = 2
            if index == count { return .success(IPv6Address(bits: 0)) }
        }
        while index < count {
            let start = index
            var group: UInt32 = 0
            while index < count, let digit = hexValue(bytes[index]) {
                group = group << 4 | UInt32(digit)
                index += 1
                if index - start > 4 { return bad(start) }
            }
            if index < count && bytes[index] == UInt8(ascii: ".") {
                // An embedded IPv4 address fills the last 32 bits.
                let quad = UnsafeBufferPointer(rebasing: bytes[start..<count])
                switch parseIPv4(quad, base: start) {
                case .failure(let problem): return .failure(problem)
                case .success(let v4):
                    let groups = [UInt16(v4.bits >> 16), UInt16(v4.bits & 0xffff)]
                    if compressed { tail += groups } else { head += groups }
                    index = count
                }
                break
            }
            guard index > start else { return bad(start) }
            if compressed { tail.append(UInt16(group)) } else { head.append(UInt16(group)) }
            if index == count { break }
            guard bytes[index] == UInt8(ascii: ":") else { return bad(index) }
            index += 1
            if index < count && bytes[index] == UInt8(ascii: ":") {
                guard !compressed else { return bad(index) }
                compressed = true
                index += 1
                if index == count { break }
            } else if index == count {
                return bad(index)
            }
        }
        let total = head.count + tail.count
        guard compressed ? total <= 7 : total == 8 else { return bad(count) }
        let groups = head + Array(repeating: 0, count: 8 - total) + tail
        var bits: UInt128 = 0
        for group in groups { bits = bits << 16 | UInt128(group) }
        return .success(IPv6Address(bits: bits))
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
