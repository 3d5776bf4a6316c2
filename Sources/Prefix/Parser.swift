/// What to do with a prefix whose address has bits set past its length (`10.0.0.1/24`).
public enum HostBitsPolicy: Sendable, Hashable {
    /// An error suggesting both plausible meanings: the default, because a stray host bit
    /// usually means a typo in the length or the address, not a wish for the whole network.
    case reject
    /// Clear the host bits (`10.0.0.1/24` is `10.0.0.0/24`), as `iprange` and `aggregate6` do.
    case mask
}

/// Strict byte-level parsing of addresses and prefixes.
///
/// Rules: IPv4 is exactly four decimal octets without leading zeros; IPv6 is any RFC 4291
/// text form (with `::` and an embedded dotted quad), no zone id; the length is decimal
/// without leading zeros, 0-32 or 0-128; a bare address is a host prefix; host bits are
/// an error unless the caller asks for ``HostBitsPolicy/mask``. Works on raw bytes because
/// String splitting was measured ~40x slower.
public enum PrefixParser {
    /// Parses `text` as an address or prefix.
    public static func parse(_ text: String, hostBits: HostBitsPolicy = .reject) throws(PrefixParseError) -> AnyCIDR {
        var copy = text
        copy.makeContiguousUTF8()
        return try parse(copy.utf8.span, hostBits: hostBits)
    }

    /// Parses `bytes` (no surrounding whitespace) as an address or prefix.
    ///
    /// Bytes rather than `String` because splitting strings was measured ~40x slower on
    /// 100k-line lists. A `Span` is bounds-checked memory-safe access without copying.
    public static func parse(
        _ bytes: Span<UInt8>, hostBits: HostBitsPolicy = .reject
    ) throws(PrefixParseError) -> AnyCIDR {
        do throws(Problem) {
            return try parseBytes(bytes, hostBits: hostBits)
        } catch {
            // A binary file can make one "prefix" megabytes long; messages quote at most 64 bytes.
            let quoted = bytes.count <= 64 ? text(bytes) : text(bytes.extracting(0..<64)) + "..."
            throw PrefixParseError(error.reason, offset: error.offset, text: quoted)
        }
    }

    /// `bytes` as text (invalid UTF-8 repaired), for messages.
    static func text(_ bytes: Span<UInt8>) -> String {
        var array: [UInt8] = []
        array.reserveCapacity(bytes.count)
        for index in 0..<bytes.count { array.append(bytes[index]) }
        return String(decoding: array, as: UTF8.self)
    }

    private static func parseBytes(_ bytes: Span<UInt8>, hostBits: HostBitsPolicy) throws(Problem) -> AnyCIDR {
        guard !bytes.isEmpty else { throw Problem(reason: .empty, offset: 0) }
        var slash = bytes.count
        var sawColon = false
        for index in 0..<bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "/") { slash = index; break }
            if byte == UInt8(ascii: ":") { sawColon = true }
            if byte == UInt8(ascii: "%") { throw Problem(reason: .zoneID, offset: index) }
        }
        let addressBytes = bytes.extracting(0..<slash)
        var length: Int? = nil
        if slash < bytes.count {
            let lengthBytes = bytes.extracting((slash + 1)..<bytes.count)
            guard let parsed = parseLength(lengthBytes) else {
                let zeroPadded = lengthBytes.count > 1 && lengthBytes[0] == UInt8(ascii: "0")
                    && parseLength(lengthBytes.extracting(1..<lengthBytes.count)) != nil
                throw Problem(reason: zeroPadded ? .lengthLeadingZero : .badLength, offset: slash + 1)
            }
            length = parsed
        }
        if sawColon {
            let address = try parseIPv6(addressBytes).get()
            return .v6(try prefix(address, length ?? 128, lengthOffset: slash + 1, hostBits: hostBits))
        }
        let address = try parseIPv4(addressBytes).get()
        return .v4(try prefix(address, length ?? 32, lengthOffset: slash + 1, hostBits: hostBits))
    }

    private static func prefix<A: IPAddress>(
        _ address: A, _ length: Int, lengthOffset: Int, hostBits: HostBitsPolicy
    ) throws(Problem) -> CIDR<A> {
        guard length <= A.bitWidth else { throw Problem(reason: .badLength, offset: lengthOffset) }
        if let cidr = CIDR(address: address, length: length) { return cidr }
        let network = CIDR(masking: address, length: length)
        if hostBits == .mask { return network }
        let narrowest = A.bitWidth - address.bits.trailingZeroBitCount
        let narrower = CIDR(address: address, length: narrowest)
        // A narrower prefix wider than one address trusts neighbours the author never named
        // (10.0.0.2/31 also holds .3), so the lone host is offered too, when the address reads
        // like a host: its last octet (IPv6: group) is not zero. `192.168.1.0/16` reads like a
        // network, and offering 192.168.1.0/32 there would only add noise.
        let lastField = A.bitWidth == 32 ? 8 : 16
        let readsLikeHost = address.bits.trailingZeroBitCount < lastField
        let host = narrowest < A.bitWidth && readsLikeHost ? wrap(CIDR(host: address)) : nil
        throw Problem(reason: .hostBitsSet(network: wrap(network), narrower: narrower.map(wrap), host: host), offset: 0)
    }

    private static func wrap<A: IPAddress>(_ cidr: CIDR<A>) -> AnyCIDR {
        if let v4 = cidr as? CIDR<IPv4Address> { return .v4(v4) }
        return .v6(cidr as! CIDR<IPv6Address>)
    }

    struct Problem: Error {
        let reason: PrefixParseError.Reason
        let offset: Int
    }

    static func parseLength(_ bytes: Span<UInt8>) -> Int? {
        guard (1...3).contains(bytes.count) else { return nil }
        if bytes.count > 1 && bytes[0] == UInt8(ascii: "0") { return nil }
        var value = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// Exactly four decimal octets, no leading zeros, each 0-255.
    static func parseIPv4(_ bytes: Span<UInt8>, base: Int = 0) -> Result<IPv4Address, Problem> {
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
        // Too few octets is only noticed at the end; the whole text is what is wrong, so the
        // column points at its start rather than past its end.
        guard octets == 4 else { return .failure(Problem(reason: .malformedAddress, offset: base)) }
        return .success(IPv4Address(bits: value))
    }

    /// RFC 4291 section 2.2 text forms: full, `::`-compressed, and with a trailing dotted quad.
    /// Groups before `::` accumulate in `head`, after it in `tail`; no arrays, so parsing
    /// allocates nothing.
    static func parseIPv6(_ bytes: Span<UInt8>) -> Result<IPv6Address, Problem> {
        var head: UInt128 = 0, headCount = 0
        var tail: UInt128 = 0, tailCount = 0
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
                let quad = bytes.extracting(start..<count)
                switch parseIPv4(quad, base: start) {
                case .failure(let problem): return .failure(problem)
                case .success(let v4):
                    if compressed {
                        tail = tail << 32 | UInt128(v4.bits)
                        tailCount += 2
                    } else {
                        head = head << 32 | UInt128(v4.bits)
                        headCount += 2
                    }
                    index = count
                }
                break
            }
            guard index > start else { return bad(start) }
            if compressed {
                tail = tail << 16 | UInt128(group)
                tailCount += 1
            } else {
                head = head << 16 | UInt128(group)
                headCount += 1
            }
            if headCount + tailCount > 8 { return bad(start) }
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
        let total = headCount + tailCount
        guard compressed ? total <= 7 : total == 8 else { return bad(0) }
        // Head groups are the most significant; `<<` by 128 (no head groups) yields 0.
        let bits = head << (16 * (8 - headCount)) | tail
        return .success(IPv6Address(bits: bits))
    }

    /// The value of a hex digit. Two subtractions and compares instead of a three-way
    /// range switch: this was the hottest spot of IPv6 parsing.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        let decimal = byte &- UInt8(ascii: "0")
        if decimal < 10 { return decimal }
        let letter = (byte | 0x20) &- UInt8(ascii: "a")  // | 0x20 folds A-F onto a-f
        return letter < 6 ? letter + 10 : nil
    }
}
