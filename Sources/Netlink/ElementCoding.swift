import CNftnl
import Prefix
import Ruleset

/// Set elements as the kernel stores them: fixed-length big-endian keys, each flagged as an
/// interval end or not, flat in one array so a million of them cost two allocations.
struct KernelElements {
    var keyLength: Int
    var keys: [UInt8] = []
    var isEnd: [Bool] = []
    /// A catch-all element (`NFT_SET_ELEM_CATCHALL`, no key) was read; it is not in `keys`.
    var catchAll = false

    var count: Int { isEnd.count }

    init(keyLength: Int) { self.keyLength = keyLength }

    mutating func append<T: FixedWidthInteger>(_ value: T, end: Bool) {
        var bigEndian = value.bigEndian
        // Safety: reads the bytes of a local integer.
        withUnsafeBytes(of: &bigEndian) { keys.append(contentsOf: $0) }
        isEnd.append(end)
    }

    /// The kernel form of `elements`. In an interval set each interval is a start element
    /// and an end element flagged INTERVAL_END at last + 1; there is no end element when the
    /// interval reaches the top of the address space (last + 1 does not exist).
    init(_ elements: SetElements, interval: Bool) throws {
        func add<T: FixedWidthInteger>(_ ranges: [(T, T)], into list: inout KernelElements) throws {
            list.keys.reserveCapacity(ranges.count * 2 * list.keyLength)
            list.isEnd.reserveCapacity(ranges.count * 2)
            for (lower, upper) in ranges {
                if interval {
                    list.append(lower, end: false)
                    if upper != T.max { list.append(upper + 1, end: true) }
                } else {
                    guard lower == upper else {
                        throw NetlinkError.encoding("a range (\(lower)-\(upper)) in a set without the interval flag")
                    }
                    list.append(lower, end: false)
                }
            }
        }
        switch elements {
        case .ipv4(let ranges):
            self.init(keyLength: 4)
            try add(ranges.map { ($0.lower.bits, $0.upper.bits) }, into: &self)
        case .ipv6(let ranges):
            self.init(keyLength: 16)
            try add(ranges.map { ($0.lower.bits, $0.upper.bits) }, into: &self)
        case .ports(let ranges):
            self.init(keyLength: 2)
            try add(ranges.map { ($0.lowerBound, $0.upperBound) }, into: &self)
        case .unknown(_, let keyLength, let raw):
            self.init(keyLength: Int(keyLength))
            guard !interval else { throw NetlinkError.encoding("elements of an unknown key type in an interval set") }
            for key in raw { keys.append(contentsOf: key); isEnd.append(false) }
        }
    }

    /// Back to the model: intervals for an interval set, single values otherwise.
    func model(keyType: SetKeyType, nftDatatype: UInt32, interval: Bool) -> SetElements {
        let values = (0..<count).map { index -> UInt128 in
            var value: UInt128 = 0
            for byte in keys[(index * keyLength)..<((index + 1) * keyLength)] { value = value << 8 | UInt128(byte) }
            return value
        }
        var ranges: [(UInt128, UInt128)] = []
        let top: UInt128 = keyLength >= 16 ? .max : (UInt128(1) << (keyLength * 8)) - 1
        if interval {
            // Sort by key; an end sorts before a start at the same key. A lone end (nft's
            // leading zero element) closes nothing and is skipped.
            let order = (0..<count).sorted { values[$0] != values[$1] ? values[$0] < values[$1] : isEnd[$0] && !isEnd[$1] }
            var open: UInt128?
            for index in order {
                let value = values[index]
                if isEnd[index] {
                    if let start = open, value > 0 { ranges.append((start, value - 1)) }
                    open = nil
                } else {
                    if let start = open, value > start { ranges.append((start, value - 1)) }
                    open = value
                }
            }
            if let start = open { ranges.append((start, top)) }
        } else {
            ranges = values.sorted().map { ($0, $0) }
        }
        switch keyType {
        case .ipv4Address:
            return .ipv4(ranges.compactMap { AddressRange(lower: IPv4Address(bits: UInt32($0.0)), upper: IPv4Address(bits: UInt32($0.1))) })
        case .ipv6Address:
            return .ipv6(ranges.compactMap { AddressRange(lower: IPv6Address(bits: $0.0), upper: IPv6Address(bits: $0.1)) })
        case .inetService:
            return .ports(ranges.map { UInt16($0.0)...UInt16($0.1) })
        case .unknown:
            let raw = (0..<count).map { Array(keys[($0 * keyLength)..<(($0 + 1) * keyLength)]) }
            return .unknown(keyType: nftDatatype, keyLength: UInt32(keyLength), elements: raw)
        }
    }
}

/// Writes element messages (NEWSETELEM / DELSETELEM) with at most ~60 KiB of element list
/// each: the list is one attribute with a 16-bit length, and the kernel silently drops
/// what does not fit (measured: 100k elements in one message were ACKed, 115 stored).
enum ElementMessages {
    static let payloadLimit = 60 * 1024

    /// Appends the messages for `elements` to `buffer`, one per chunk.
    static func append(
        to buffer: MessageBuffer, type: nf_tables_msg_types, flags: UInt16, family: UInt16,
        table: String, set: String, setID: UInt32?, elements: KernelElements, describe: String
    ) {
        var next = 0
        repeat {
            let first = next
            buffer.append("\(describe) \(set) (elements \(first + 1)-\(min(elements.count, first + 1)), ...)") { start, sequence in
                // Safety: `start` has MessageBuffer.messageReserve zeroed bytes; the payload
                // limit keeps the message well inside them.
                let header = nftnl_nlmsg_build_hdr(start.assumingMemoryBound(to: CChar.self), type.code, family, flags, sequence)!
                mnl_attr_put_strz(header, UInt16(NFTA_SET_ELEM_LIST_TABLE.rawValue), table)
                mnl_attr_put_strz(header, UInt16(NFTA_SET_ELEM_LIST_SET.rawValue), set)
                if let setID { mnl_attr_put_u32(header, UInt16(NFTA_SET_ELEM_LIST_SET_ID.rawValue), setID.bigEndian) }
                guard elements.count > 0 else { return header }
                let list = mnl_attr_nest_start(header, UInt16(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue))!
                let listStart = Int(header.pointee.nlmsg_len)
                // Safety: `keys` is valid for the closure; each key read is inside it (next < count).
                elements.keys.withUnsafeBytes { keys in
                    while next < elements.count, Int(header.pointee.nlmsg_len) - listStart < payloadLimit {
                        let element = mnl_attr_nest_start(header, UInt16(NFTA_LIST_ELEM.rawValue))!
                        let key = mnl_attr_nest_start(header, UInt16(NFTA_SET_ELEM_KEY.rawValue))!
                        mnl_attr_put(header, UInt16(NFTA_DATA_VALUE.rawValue), elements.keyLength,
                                     keys.baseAddress! + next * elements.keyLength)
                        mnl_attr_nest_end(header, key)
                        if elements.isEnd[next] {
                            mnl_attr_put_u32(header, UInt16(NFTA_SET_ELEM_FLAGS.rawValue), UInt32(NFT_SET_ELEM_INTERVAL_END.rawValue).bigEndian)
                        }
                        mnl_attr_nest_end(header, element)
                        next += 1
                    }
                }
                mnl_attr_nest_end(header, list)
                return header
            }
            buffer.rename(last: "\(describe) \(set) (elements \(first + 1)-\(next) of \(elements.count))")
        } while next < elements.count
    }
}
