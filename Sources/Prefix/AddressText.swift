/// Byte-level text output for addresses, prefixes and ranges.
///
/// `migfw aggregate` prints up to a million lines; building a `String` per address was the
/// slowest part of the pipeline, so everything appends ASCII bytes to one buffer instead.
enum AddressText {
    static let colon = UInt8(ascii: ":")
    static let dot = UInt8(ascii: ".")
    static let slash = UInt8(ascii: "/")
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `value` in decimal.
    @inline(__always)
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value >= 100 { out.append(UInt8(ascii: "0") + UInt8(value / 100)) }
        if value >= 10 { out.append(UInt8(ascii: "0") + UInt8(value / 10 % 10)) }
        out.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    /// Appends dotted-quad text.
    static func appendIPv4(_ bits: UInt32, to out: inout [UInt8]) {
        appendDecimal(Int(bits >> 24), to: &out)
        out.append(dot)
        appendDecimal(Int(bits >> 16 & 0xff), to: &out)
        out.append(dot)
        appendDecimal(Int(bits >> 8 & 0xff), to: &out)
        out.append(dot)
        appendDecimal(Int(bits & 0xff), to: &out)
    }

    @inline(__always)
    static func group(_ bits: UInt128, _ index: Int) -> UInt16 {
        UInt16(truncatingIfNeeded: bits >> (112 - 16 * index))
    }

    /// Appends RFC 5952 text: lower case, no leading zeros, the longest run of two or more
    /// zero groups (the first on a tie) as `::`, and IPv4-mapped addresses (`::ffff:0:0/96`)
    /// in mixed notation as section 5 recommends (`::ffff:192.0.2.1`, as nft prints them).
    static func appendIPv6(_ bits: UInt128, to out: inout [UInt8]) {
        let isMapped = bits >> 32 == 0xffff
        let hexGroups = isMapped ? 6 : 8
        var bestStart = -1, bestLength = 0, runStart = -1
        for index in 0...hexGroups {
            if index < hexGroups && group(bits, index) == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                let length = index - runStart
                if length > bestLength && length >= 2 { bestStart = runStart; bestLength = length }
                runStart = -1
            }
        }
        var index = 0
        var needsColon = false
        while index < hexGroups {
            if index == bestStart {
                out.append(colon)
                out.append(colon)
                index += bestLength
                needsColon = false
                continue
            }
            if needsColon { out.append(colon) }
            appendHex(group(bits, index), to: &out)
            needsColon = true
            index += 1
        }
        if isMapped {
            out.append(colon)
            appendIPv4(UInt32(truncatingIfNeeded: bits), to: &out)
        }
    }

    @inline(__always)
    static func appendHex(_ value: UInt16, to out: inout [UInt8]) {
        var shift = 12
        while shift > 0 && value >> shift == 0 { shift -= 4 }
        while shift >= 0 {
            out.append(hexDigits[Int(value >> shift & 0xf)])
            shift -= 4
        }
    }

    /// Appends the address text of either family.
    @inline(__always)
    static func append<A: IPAddress>(_ address: A, to out: inout [UInt8]) {
        if A.bitWidth == 32 {
            appendIPv4(UInt32(truncatingIfNeeded: address.bits), to: &out)
        } else {
            appendIPv6(UInt128(truncatingIfNeeded: address.bits), to: &out)
        }
    }

    /// Appends `address/length`.
    @inline(__always)
    static func append<A: IPAddress>(_ cidr: CIDR<A>, to out: inout [UInt8]) {
        append(cidr.address, to: &out)
        out.append(slash)
        appendDecimal(cidr.length, to: &out)
    }

    static func string(_ body: (inout [UInt8]) -> Void) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(48)
        body(&bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
