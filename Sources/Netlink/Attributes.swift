/// Walks netlink attributes (`struct nlattr`: 16-bit length, 16-bit type, payload padded to
/// 4 bytes) in a byte range, without libmnl callbacks. Bounds are checked on every step, so
/// a malformed reply ends the walk instead of reading past it.
struct Attributes: Sequence {
    let bytes: UnsafeRawBufferPointer

    struct Attribute {
        /// The type without the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits.
        let type: UInt16
        let payload: UnsafeRawBufferPointer

        var nested: Attributes { Attributes(bytes: payload) }
        var bigEndianU32: UInt32? {
            guard payload.count >= 4 else { return nil }
            // Safety: four bytes are there (checked); unaligned load of plain bytes.
            return UInt32(bigEndian: payload.loadUnaligned(as: UInt32.self))
        }
        var bigEndianU64: UInt64? {
            guard payload.count >= 8 else { return nil }
            // Safety: eight bytes are there (checked); unaligned load of plain bytes.
            return UInt64(bigEndian: payload.loadUnaligned(as: UInt64.self))
        }
        var string: String { String(decoding: payload.prefix { $0 != 0 }, as: UTF8.self) }
        /// Whether the payload is a C string that ends inside the attribute (what strdup
        /// needs: libmnl's string check only refuses an empty one).
        var isTerminatedString: Bool { payload.last == 0 }
    }

    struct Iterator: IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        var offset = 0
        mutating func next() -> Attribute? {
            guard offset + 4 <= bytes.count else { return nil }
            // Safety: the 4-byte attribute header lies inside `bytes` (checked just above).
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            let type = bytes.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self) & 0x3fff
            guard length >= 4, offset + length <= bytes.count else { return nil }
            // Safety: the slice lies inside `bytes`, checked just above.
            let payload = UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + length)])
            offset += (length + 3) & ~3
            return Attribute(type: type, payload: payload)
        }
    }

    func makeIterator() -> Iterator { Iterator(bytes: bytes) }

    func first(_ type: UInt16) -> Attribute? { first { $0.type == type } }
}
