import CNftnl
import Glibc
import Ruleset

extension NetlinkSession {
    /// Elements looked up per GETSETELEM request. Each found element comes back in its own
    /// ~4 KiB skb, so the receive buffer is sized for a whole round.
    static let lookupRound = 512

    /// Reads the elements of one set by dump (exact: everything the kernel holds).
    public func readElements(family: TableFamily = .inet, table: String = Table.migfwName, set: NamedSet) throws -> SetElements {
        let elements = try readElements(family: family, table: table, set: set.name, keyLength: set.keyType.keyLength)
        return elements.model(keyType: set.keyType, nftDatatype: set.keyType.nftDatatype ?? 0,
                              interval: set.flags.contains(.interval))
    }

    /// Looks every element of `set` up in the kernel by key (`NFT_MSG_GETSETELEM` without
    /// dump) and checks that the kernel has exactly that key with the same interval-end flag.
    /// Returns nil when all are there, else the first mismatches.
    ///
    /// A dump restarts its walk of the set's tree for every 32 KiB reply, so it costs
    /// O(n²): over a minute for 1M intervals. Lookups cost O(n log n). They cannot see
    /// elements that should not be there, so use them for sets created in the same batch as
    /// their elements: the transaction is atomic, nothing else can have added any.
    public func checkElements(family: TableFamily = .inet, table: String = Table.migfwName, set: NamedSet) throws -> String? {
        let expected = try KernelElements(set.elements, interval: set.flags.contains(.interval))
        let length = expected.keyLength
        try socket.reserve(sendBytes: 256 * 1024, receiveBytes: Self.lookupRound * 6 * 1024)
        var problems: [String] = []
        var next = 0
        while next < expected.count && problems.count < 5 {
            let first = next
            let last = min(expected.count, first + Self.lookupRound)
            var found = first
            do {
                try request(NFT_MSG_GETSETELEM, family: family.kernelValue, dump: false,
                            operation: "look up elements \(first + 1)-\(last) of set \(set.name)",
                            build: { header in
                                mnl_attr_put_strz(header, UInt16(NFTA_SET_ELEM_LIST_TABLE.rawValue), table)
                                mnl_attr_put_strz(header, UInt16(NFTA_SET_ELEM_LIST_SET.rawValue), set.name)
                                let list = mnl_attr_nest_start(header, UInt16(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue))!
                                expected.keys.withUnsafeBytes { keys in
                                    for index in first..<last {
                                        let element = mnl_attr_nest_start(header, UInt16(NFTA_LIST_ELEM.rawValue))!
                                        let key = mnl_attr_nest_start(header, UInt16(NFTA_SET_ELEM_KEY.rawValue))!
                                        // Safety: the key lies inside `keys` (index < count).
                                        mnl_attr_put(header, UInt16(NFTA_DATA_VALUE.rawValue), length, keys.baseAddress! + index * length)
                                        mnl_attr_nest_end(header, key)
                                        if expected.isEnd[index] {
                                            mnl_attr_put_u32(header, UInt16(NFTA_SET_ELEM_FLAGS.rawValue),
                                                             UInt32(NFT_SET_ELEM_INTERVAL_END.rawValue).bigEndian)
                                        }
                                        mnl_attr_nest_end(header, element)
                                    }
                                }
                                mnl_attr_nest_end(header, list)
                            }, requestSize: 64 + (last - first) * (length + 28)) { message in
                    guard message.type & 0xff == MessageType.newSetElement,
                          let list = message.attributes.first(UInt16(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue)) else { return }
                    for element in list.nested where element.type == UInt16(NFTA_LIST_ELEM.rawValue) {
                        var key: [UInt8] = []
                        var flags: UInt32 = 0
                        for attribute in element.nested {
                            if attribute.type == UInt16(NFTA_SET_ELEM_KEY.rawValue) {
                                key = attribute.nested.first(UInt16(NFTA_DATA_VALUE.rawValue)).map { Array($0.payload) } ?? []
                            } else if attribute.type == UInt16(NFTA_SET_ELEM_FLAGS.rawValue) {
                                flags = attribute.bigEndianU32 ?? 0
                            }
                        }
                        guard found < last else { return }
                        let want = Array(expected.keys[(found * length)..<((found + 1) * length)])
                        let isEnd = flags & UInt32(NFT_SET_ELEM_INTERVAL_END.rawValue) != 0
                        if key != want || isEnd != expected.isEnd[found] {
                            problems.append("element \(found + 1): kernel has \(hex(key))\(isEnd ? " (end)" : ""), expected \(hex(want))\(expected.isEnd[found] ? " (end)" : "")")
                        }
                        found += 1
                    }
                }
            } catch NetlinkError.kernel(_, let code, _) where code == ENOENT {
                problems.append("element \(found + 1) (\(hex(Array(expected.keys[(found * length)..<((found + 1) * length)])))) is missing")
                break
            }
            if found != last && problems.isEmpty { problems.append("kernel answered \(found - first) of \(last - first) lookups") }
            next = last
        }
        return problems.isEmpty ? nil : "set \(set.name): " + problems.joined(separator: "; ")
    }
}

private func hex(_ bytes: [UInt8]) -> String {
    "0x" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}
