import CNftnl
import Ruleset

/// Decodes nf_tables dump replies into the model, one message at a time. ``NetlinkSession``'s
/// `readTable` hands it the kernel's replies as they arrive; ``TableDump`` hands it a saved
/// stream of them (fuzzing, seeds). Every function here returns nil for a message that is
/// not the expected kind or not about `table`, and never trusts a length it did not check.
enum DumpDecoding {
    /// Key lengths above this are not keys the kernel can hold (NFT_DATA_VALUE_MAXLEN is 64);
    /// an element of such a set is dropped rather than sized from an untrusted length.
    static let maximumKeyLength = 64

    static func tableHeader(_ message: Messages.Message, table: String) -> NetlinkSession.TableHeader? {
        let attributes = message.attributes
        guard message.type & 0xff == MessageType.newTable,
              attributes.first(UInt16(NFTA_TABLE_NAME.rawValue))?.string == table else { return nil }
        // The flags matter: a dormant table holds every chain but hooks none of them.
        return NetlinkSession.TableHeader(
            userdata: attributes.first(UInt16(NFTA_TABLE_USERDATA.rawValue)).map { Array($0.payload) } ?? [],
            flags: TableFlags(rawValue: attributes.first(UInt16(NFTA_TABLE_FLAGS.rawValue))?.bigEndianU32 ?? 0))
    }

    static func setHeader(_ message: Messages.Message, table: String) -> NetlinkSession.SetHeader? {
        let attributes = message.attributes
        guard message.type & 0xff == MessageType.newSet,
              attributes.first(UInt16(NFTA_SET_TABLE.rawValue))?.string == table,
              let name = attributes.first(UInt16(NFTA_SET_NAME.rawValue))?.string else { return nil }
        var header = NetlinkSession.SetHeader(
            name: name,
            flags: attributes.first(UInt16(NFTA_SET_FLAGS.rawValue))?.bigEndianU32 ?? 0,
            keyType: attributes.first(UInt16(NFTA_SET_KEY_TYPE.rawValue))?.bigEndianU32 ?? 0,
            keyLength: attributes.first(UInt16(NFTA_SET_KEY_LEN.rawValue))?.bigEndianU32 ?? 0)
        header.size = attributes.first(UInt16(NFTA_SET_DESC.rawValue))?.nested.first(UInt16(NFTA_SET_DESC_SIZE.rawValue))?.bigEndianU32
        header.timeout = attributes.first(UInt16(NFTA_SET_TIMEOUT.rawValue))?.bigEndianU64
        header.expressions = NetlinkSession.expressionNames(attributes, single: UInt16(NFTA_SET_EXPR.rawValue),
                                                            list: UInt16(NFTA_SET_EXPRESSIONS.rawValue))
        return header
    }

    /// The set an element message is about (NFTA_SET_ELEM_LIST_SET), nil for other messages.
    static func elementSet(_ message: Messages.Message) -> String? {
        guard message.type & 0xff == MessageType.newSetElement else { return nil }
        return message.attributes.first(UInt16(NFTA_SET_ELEM_LIST_SET.rawValue))?.string
    }

    /// Adds the elements of one element message to `elements`.
    static func addElements(_ message: Messages.Message, to elements: inout KernelElements) {
        guard message.type & 0xff == MessageType.newSetElement,
              let list = message.attributes.first(UInt16(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue)) else { return }
        let keyLength = elements.keyLength
        for element in list.nested where element.type == UInt16(NFTA_LIST_ELEM.rawValue) {
            var key: UnsafeRawBufferPointer?
            var flags: UInt32 = 0
            for attribute in element.nested {
                switch attribute.type {
                case UInt16(NFTA_SET_ELEM_KEY.rawValue):
                    key = attribute.nested.first(UInt16(NFTA_DATA_VALUE.rawValue))?.payload
                case UInt16(NFTA_SET_ELEM_FLAGS.rawValue):
                    flags = attribute.bigEndianU32 ?? 0
                default:
                    break
                }
            }
            // A catch-all element has no key and matches every key: it is no interval start
            // (and no element delta can delete it), so the set is marked instead, and the
            // planner re-creates it.
            if flags & UInt32(NFT_SET_ELEM_CATCHALL.rawValue) != 0 {
                elements.catchAll = true
                continue
            }
            guard keyLength <= maximumKeyLength else { continue }
            var bytes = [UInt8](repeating: 0, count: keyLength)
            if let key { for index in 0..<min(keyLength, key.count) { bytes[index] = key[index] } }
            elements.keys.append(contentsOf: bytes)
            elements.isEnd.append(flags & UInt32(NFT_SET_ELEM_INTERVAL_END.rawValue) != 0)
        }
    }

    /// The table and its runtime facts from its decoded parts.
    static func snapshot(
        family: TableFamily, name: String, header: NetlinkSession.TableHeader,
        sets: [(header: NetlinkSession.SetHeader, elements: KernelElements)], dynamic: [String: [DynamicElement]] = [:],
        chains: [Chain], rules: [NetlinkSession.DecodedRule], generation: UInt32
    ) -> TableSnapshot {
        var table = Table(family: family, name: name, userdata: header.userdata.isEmpty ? nil : header.userdata,
                          flags: header.flags)
        var counts: [String: Int] = [:]
        for (header, elements) in sets {
            if header.isDynamic {
                // Its definition only: the elements are runtime state (``TableSnapshot/dynamicElements``).
                var set = NamedSet(dynamic: header.name, keyType: SetKeyType(nftDatatype: header.keyType, length: header.keyLength),
                                   size: header.size ?? 0, timeoutMilliseconds: header.timeout ?? 0,
                                   elementCounter: header.expressions == ["counter"])
                set.flags = SetFlags(rawValue: header.flags)
                set.size = header.size
                set.timeoutMilliseconds = header.timeout
                if set.keyType == .unknown { set.elements = .unknown(keyType: header.keyType, keyLength: header.keyLength, elements: []) }
                // Other per-element expressions than a lone counter read as no counter: the set
                // then differs from the compiled one and is re-created.
                table.sets.append(set)
                counts[header.name] = dynamic[header.name]?.count ?? 0
                continue
            }
            counts[header.name] = elements.count
            let keyType = SetKeyType(nftDatatype: header.keyType, length: header.keyLength)
            let flags = SetFlags(rawValue: header.flags)
            table.sets.append(NamedSet(name: header.name, flags: flags,
                                       elements: elements.model(keyType: keyType, nftDatatype: header.keyType,
                                                                interval: flags.contains(.interval)),
                                       catchAll: elements.catchAll))
        }
        var handles: [String: [UInt64]] = [:]
        var counters: [String: [RuleCounter?]] = [:]
        table.chains = chains
        for index in table.chains.indices {
            let chainRules = rules.filter { $0.chain == table.chains[index].name }
            // A chain on a hook the model cannot express keeps its marker rule first (no
            // handle, no counter), so nothing reads it as an ordinary regular chain.
            let marker = table.chains[index].rules
            table.chains[index].rules = marker + chainRules.map(\.rule)
            handles[table.chains[index].name] = marker.map { _ in 0 } + chainRules.map(\.handle)
            counters[table.chains[index].name] = marker.map { _ in nil } + chainRules.map(\.counter)
        }
        return TableSnapshot(table: table, ruleHandles: handles, counters: counters,
                             kernelElementCounts: counts, generation: generation, dynamicElements: dynamic)
    }
}

/// A table's dump replies saved as bytes: the netlink messages `readTable` receives (table,
/// sets, elements, chains, rules), back to back as the kernel sends them. The fuzzer of the
/// reply decoder feeds ``decode(_:family:name:)`` with mutations of real captured dumps
/// (``NetlinkSession/captureTableDump(family:name:)``).
@_spi(Fuzzing)
public enum TableDump {
    /// The table `family name` that the messages in `bytes` describe, decoded by the same
    /// functions as `readTable`; nil when there is no table header for it. Messages about
    /// other tables, of other kinds, or cut short are skipped, as `readTable` skips them.
    public static func decode(_ bytes: [UInt8], family: TableFamily = .inet, name: String = Table.migfwName) -> TableSnapshot? {
        var header: NetlinkSession.TableHeader?
        var sets: [(header: NetlinkSession.SetHeader, elements: KernelElements)] = []
        var chains: [Chain] = []
        var rules: [NetlinkSession.DecodedRule] = []
        // Safety: the messages are read only inside this closure, while `bytes` is alive;
        // an Array's storage is 16-byte aligned, as nlmsghdr needs.
        bytes.withUnsafeBytes { raw in
            for message in Messages(bytes: raw) {
                if let found = DumpDecoding.tableHeader(message, table: name) {
                    if header == nil { header = found }
                } else if let set = DumpDecoding.setHeader(message, table: name) {
                    sets.append((set, KernelElements(keyLength: Int(set.keyLength))))
                } else if let setName = DumpDecoding.elementSet(message) {
                    guard let index = sets.firstIndex(where: { $0.header.name == setName }) else { continue }
                    DumpDecoding.addElements(message, to: &sets[index].elements)
                } else if let chain = DumpDecoding.chain(message, table: name) {
                    chains.append(chain)
                } else if let rule = DumpDecoding.rule(message, table: name) {
                    rules.append(rule)
                }
            }
        }
        guard let header else { return nil }
        return DumpDecoding.snapshot(family: family, name: name, header: header, sets: sets,
                                     chains: chains, rules: rules, generation: 0)
    }
}

extension NetlinkSession {
    /// Reads table `family name` like `readTable` and returns the raw reply messages it was
    /// decoded from, in ``TableDump`` form: the seed corpus of the reply decoder's fuzzer is
    /// made of these. Empty when there is no such table.
    @_spi(Fuzzing)
    public func captureTableDump(family: TableFamily = .inet, name: String = Table.migfwName) throws -> [UInt8] {
        var captured: [UInt8] = []
        replyTap = { raw in
            captured.append(contentsOf: raw)
            // Messages start 4-byte aligned, as in the kernel's datagrams.
            captured.append(contentsOf: repeatElement(0, count: (4 - raw.count % 4) % 4))
        }
        defer { replyTap = nil }
        guard try readTable(family: family, name: name) != nil else { return [] }
        return captured
    }
}
