import CNftnl
import Glibc
import Ruleset

extension NetlinkSession {
    /// Whether the kernel holds table `family name`.
    public func tableExists(family: TableFamily = .inet, name: String = Table.migfwName) throws -> Bool {
        try readTableHeader(family: family, name: name) != nil
    }

    /// Reads table `family name` with its sets (and their elements unless `elements` is
    /// false), chains and rules, decoded into the model. Nil when there is no such table.
    ///
    /// Objects migfw does not model are kept, not dropped: unknown expressions become
    /// `Expression.unknown`, sets of unknown key types `SetElements.unknown`.
    public func readTable(family: TableFamily = .inet, name: String = Table.migfwName, elements: Bool = true) throws -> TableSnapshot? {
        let generation = try generation()
        guard let header = try readTableHeader(family: family, name: name) else { return nil }
        var table = Table(family: family, name: name, userdata: header.userdata.isEmpty ? nil : header.userdata,
                          flags: header.flags)
        var counts: [String: Int] = [:]
        var dynamic: [String: [DynamicElement]] = [:]
        for header in try readSets(family: family, table: name) where header.flags & SetFlags.eval.rawValue != 0 {
            // A dynamic set's elements are runtime state: reported beside the model, never in it.
            var set = NamedSet(dynamic: header.name, keyType: SetKeyType(nftDatatype: header.keyType, length: header.keyLength),
                               size: header.size ?? 0, timeoutMilliseconds: header.timeout ?? 0,
                               elementCounter: header.expressions == ["counter"])
            set.flags = SetFlags(rawValue: header.flags)
            set.size = header.size
            set.timeoutMilliseconds = header.timeout
            if set.keyType == .unknown { set.elements = .unknown(keyType: header.keyType, keyLength: header.keyLength, elements: []) }
            // Other per-element expressions than a lone counter read as no counter: the set then
            // differs from the compiled one and is re-created.
            table.sets.append(set)
            if elements {
                dynamic[header.name] = try readDynamicElements(family: family, table: name, set: header.name,
                                                               setTimeout: header.timeout)
                counts[header.name] = dynamic[header.name]?.count
            } else {
                counts[header.name] = 0
            }
        }
        for header in try readSets(family: family, table: name) where header.flags & SetFlags.eval.rawValue == 0 {
            var elementsRead = KernelElements(keyLength: Int(header.keyLength))
            if elements {
                elementsRead = try readElements(family: family, table: name, set: header.name, keyLength: Int(header.keyLength))
            }
            counts[header.name] = elementsRead.count
            let keyType = SetKeyType(nftDatatype: header.keyType, length: header.keyLength)
            let flags = SetFlags(rawValue: header.flags)
            table.sets.append(NamedSet(name: header.name, flags: flags,
                                       elements: elementsRead.model(keyType: keyType, nftDatatype: header.keyType,
                                                                    interval: flags.contains(.interval)),
                                       catchAll: elementsRead.catchAll))
        }
        var handles: [String: [UInt64]] = [:]
        var counters: [String: [RuleCounter?]] = [:]
        table.chains = try readChains(family: family, table: name)
        let rules = try readRules(family: family, table: name)
        for index in table.chains.indices {
            let chainRules = rules.filter { $0.chain == table.chains[index].name }
            table.chains[index].rules = chainRules.map(\.rule)
            handles[table.chains[index].name] = chainRules.map(\.handle)
            counters[table.chains[index].name] = chainRules.map(\.counter)
        }
        table.sets = try readSetOrder(family: family, table: name).compactMap { name in table.sets.first { $0.name == name } }
        return TableSnapshot(table: table, ruleHandles: handles, counters: counters,
                             kernelElementCounts: counts, generation: generation, dynamicElements: dynamic)
    }

    /// The elements of the dynamic sets `sets` of table `family name` (counters, expiry),
    /// without dumping the rest of the table; a set that is missing or not dynamic is left out.
    public func readDynamicSets(family: TableFamily, name: String = Table.migfwName, sets: [String]) throws -> [String: [DynamicElement]] {
        guard try readTableHeader(family: family, name: name) != nil else { return [:] }
        var result: [String: [DynamicElement]] = [:]
        for header in try readSets(family: family, table: name)
        where sets.contains(header.name) && header.flags & SetFlags.eval.rawValue != 0 {
            result[header.name] = try readDynamicElements(family: family, table: name, set: header.name, setTimeout: header.timeout)
        }
        return result
    }

    /// What a GETTABLE reply says about a table besides its name.
    struct TableHeader {
        /// [] when none.
        var userdata: [UInt8]
        var flags: TableFlags
    }

    /// The table's userdata and flags, or nil when the table does not exist.
    func readTableHeader(family: TableFamily, name: String) throws -> TableHeader? {
        var header: TableHeader?
        do {
            try request(NFT_MSG_GETTABLE, family: family.kernelValue, dump: false, operation: "read table \(family.rawValue) \(name)",
                        build: { mnl_attr_put_strz($0, UInt16(NFTA_TABLE_NAME.rawValue), name) }) { message in
                guard message.type & 0xff == MessageType.newTable else { return }
                let attributes = message.attributes
                // The flags matter: a dormant table holds every chain but hooks none of them.
                header = TableHeader(
                    userdata: attributes.first(UInt16(NFTA_TABLE_USERDATA.rawValue)).map { Array($0.payload) } ?? [],
                    flags: TableFlags(rawValue: attributes.first(UInt16(NFTA_TABLE_FLAGS.rawValue))?.bigEndianU32 ?? 0))
            }
        } catch NetlinkError.kernel(_, let code, _) where code == ENOENT {
            return nil
        }
        return header
    }

    struct SetHeader {
        var name: String
        var flags: UInt32
        var keyType: UInt32
        var keyLength: UInt32
        /// NFTA_SET_DESC_SIZE, if given.
        var size: UInt32?
        /// NFTA_SET_TIMEOUT in milliseconds, if given.
        var timeout: UInt64?
        /// The names of the set's per-element expressions (NFTA_SET_EXPR / NFTA_SET_EXPRESSIONS).
        var expressions: [String] = []
    }

    func readSets(family: TableFamily, table: String) throws -> [SetHeader] {
        var sets: [SetHeader] = []
        try request(NFT_MSG_GETSET, family: family.kernelValue, dump: true, operation: "list sets of \(table)",
                    build: { mnl_attr_put_strz($0, UInt16(NFTA_SET_TABLE.rawValue), table) }) { message in
            let attributes = message.attributes
            guard message.type & 0xff == MessageType.newSet,
                  attributes.first(UInt16(NFTA_SET_TABLE.rawValue))?.string == table,
                  let name = attributes.first(UInt16(NFTA_SET_NAME.rawValue))?.string else { return }
            var header = SetHeader(
                name: name,
                flags: attributes.first(UInt16(NFTA_SET_FLAGS.rawValue))?.bigEndianU32 ?? 0,
                keyType: attributes.first(UInt16(NFTA_SET_KEY_TYPE.rawValue))?.bigEndianU32 ?? 0,
                keyLength: attributes.first(UInt16(NFTA_SET_KEY_LEN.rawValue))?.bigEndianU32 ?? 0)
            header.size = attributes.first(UInt16(NFTA_SET_DESC.rawValue))?.nested.first(UInt16(NFTA_SET_DESC_SIZE.rawValue))?.bigEndianU32
            header.timeout = attributes.first(UInt16(NFTA_SET_TIMEOUT.rawValue))?.bigEndianU64
            header.expressions = Self.expressionNames(attributes, single: UInt16(NFTA_SET_EXPR.rawValue),
                                                      list: UInt16(NFTA_SET_EXPRESSIONS.rawValue))
            sets.append(header)
        }
        return sets
    }

    /// Set names in the kernel's listing order (the model keeps it).
    func readSetOrder(family: TableFamily, table: String) throws -> [String] {
        try readSets(family: family, table: table).map(\.name)
    }

    /// The expression names in a set's or element's NFTA_*_EXPR (one) or NFTA_*_EXPRESSIONS (a list).
    static func expressionNames(_ attributes: Attributes, single: UInt16, list: UInt16) -> [String] {
        var names: [String] = []
        for attribute in attributes where attribute.type == single {
            names.append(attribute.nested.first(UInt16(NFTA_EXPR_NAME.rawValue))?.string ?? "?")
        }
        for attribute in attributes where attribute.type == list {
            for element in attribute.nested where element.type == UInt16(NFTA_LIST_ELEM.rawValue) {
                names.append(element.nested.first(UInt16(NFTA_EXPR_NAME.rawValue))?.string ?? "?")
            }
        }
        return names
    }

    /// The counter values in an element's NFTA_SET_ELEM_EXPR or NFTA_SET_ELEM_EXPRESSIONS.
    static func elementCounter(_ attributes: Attributes) -> RuleCounter? {
        var expressions: [Attributes] = []
        for attribute in attributes {
            if attribute.type == UInt16(NFTA_SET_ELEM_EXPR.rawValue) { expressions.append(attribute.nested) }
            if attribute.type == UInt16(NFTA_SET_ELEM_EXPRESSIONS.rawValue) {
                expressions += attribute.nested.filter { $0.type == UInt16(NFTA_LIST_ELEM.rawValue) }.map(\.nested)
            }
        }
        for expression in expressions where expression.first(UInt16(NFTA_EXPR_NAME.rawValue))?.string == "counter" {
            guard let data = expression.first(UInt16(NFTA_EXPR_DATA.rawValue))?.nested else { continue }
            return RuleCounter(packets: data.first(UInt16(NFTA_COUNTER_PACKETS.rawValue))?.bigEndianU64 ?? 0,
                               bytes: data.first(UInt16(NFTA_COUNTER_BYTES.rawValue))?.bigEndianU64 ?? 0)
        }
        return nil
    }

    /// The elements of a dynamic set with their runtime facts (counter, expiry).
    /// The kernel leaves out an element's timeout when it is the set's (`setTimeout`).
    func readDynamicElements(family: TableFamily, table: String, set: String, setTimeout: UInt64?) throws -> [DynamicElement] {
        var elements: [DynamicElement] = []
        try request(NFT_MSG_GETSETELEM, family: family.kernelValue, dump: true, operation: "list elements of set \(set)",
                    build: {
                        mnl_attr_put_strz($0, UInt16(NFTA_SET_ELEM_LIST_TABLE.rawValue), table)
                        mnl_attr_put_strz($0, UInt16(NFTA_SET_ELEM_LIST_SET.rawValue), set)
                    }) { message in
            guard message.type & 0xff == MessageType.newSetElement,
                  let list = message.attributes.first(UInt16(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue)) else { return }
            for element in list.nested where element.type == UInt16(NFTA_LIST_ELEM.rawValue) {
                let attributes = element.nested
                guard let key = attributes.first(UInt16(NFTA_SET_ELEM_KEY.rawValue))?.nested
                    .first(UInt16(NFTA_DATA_VALUE.rawValue))?.payload else { continue }
                elements.append(DynamicElement(
                    key: Array(key),
                    counter: Self.elementCounter(attributes),
                    timeoutMilliseconds: attributes.first(UInt16(NFTA_SET_ELEM_TIMEOUT.rawValue))?.bigEndianU64 ?? setTimeout,
                    expiresInMilliseconds: attributes.first(UInt16(NFTA_SET_ELEM_EXPIRATION.rawValue))?.bigEndianU64))
            }
        }
        return elements
    }

    func readElements(family: TableFamily, table: String, set: String, keyLength: Int) throws -> KernelElements {
        var elements = KernelElements(keyLength: keyLength)
        try request(NFT_MSG_GETSETELEM, family: family.kernelValue, dump: true, operation: "list elements of set \(set)",
                    build: {
                        mnl_attr_put_strz($0, UInt16(NFTA_SET_ELEM_LIST_TABLE.rawValue), table)
                        mnl_attr_put_strz($0, UInt16(NFTA_SET_ELEM_LIST_SET.rawValue), set)
                    }) { message in
            guard message.type & 0xff == MessageType.newSetElement,
                  let list = message.attributes.first(UInt16(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue)) else { return }
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
                var bytes = [UInt8](repeating: 0, count: keyLength)
                if let key { for index in 0..<min(keyLength, key.count) { bytes[index] = key[index] } }
                elements.keys.append(contentsOf: bytes)
                elements.isEnd.append(flags & UInt32(NFT_SET_ELEM_INTERVAL_END.rawValue) != 0)
            }
        }
        return elements
    }

    func readChains(family: TableFamily, table: String) throws -> [Chain] {
        var chains: [Chain] = []
        try request(NFT_MSG_GETCHAIN, family: family.kernelValue, dump: true, operation: "list chains of \(table)",
                    build: { mnl_attr_put_strz($0, UInt16(NFTA_CHAIN_TABLE.rawValue), table) }) { message in
            guard message.type & 0xff == MessageType.newChain else { return }
            let c = nftnl_chain_alloc()!
            defer { nftnl_chain_free(c) }
            // Safety: the message lies in the receive buffer for the duration of the parse.
            guard nftnl_chain_nlmsg_parse(message.header, c) >= 0,
                  string(nftnl_chain_get_str(c, UInt16(NFTNL_CHAIN_TABLE.rawValue))) == table,
                  let name = string(nftnl_chain_get_str(c, UInt16(NFTNL_CHAIN_NAME.rawValue))) else { return }
            var chain = Chain(name: name)
            if nftnl_chain_is_set(c, UInt16(NFTNL_CHAIN_HOOKNUM.rawValue)) {
                let hookValue = nftnl_chain_get_u32(c, UInt16(NFTNL_CHAIN_HOOKNUM.rawValue))
                let type = string(nftnl_chain_get_str(c, UInt16(NFTNL_CHAIN_TYPE.rawValue))) ?? "filter"
                let policyCode = Int32(bitPattern: nftnl_chain_get_u32(c, UInt16(NFTNL_CHAIN_POLICY.rawValue)))
                if let hook = BaseChain.Hook(kernelValue: hookValue), let chainType = BaseChain.ChainType(rawValue: type),
                   let policy = Verdict(code: policyCode, chain: nil) {
                    chain.base = BaseChain(type: chainType, hook: hook,
                                           priority: nftnl_chain_get_s32(c, UInt16(NFTNL_CHAIN_PRIO.rawValue)), policy: policy)
                } else {
                    // A hook the model cannot express: keep the chain, mark it with a rule
                    // that can never be compiled so it differs from anything migfw wants.
                    chain.rules = [Rule([.unknown(name: "chain", detail: "hook \(hookValue) type \(type) policy \(policyCode)")])]
                }
            }
            chains.append(chain)
        }
        return chains
    }

    struct DecodedRule {
        var chain: String
        var handle: UInt64
        var rule: Rule
        var counter: RuleCounter?
    }

    func readRules(family: TableFamily, table: String) throws -> [DecodedRule] {
        var rules: [DecodedRule] = []
        try request(NFT_MSG_GETRULE, family: family.kernelValue, dump: true, operation: "list rules of \(table)",
                    build: { mnl_attr_put_strz($0, UInt16(NFTA_RULE_TABLE.rawValue), table) }) { message in
            guard message.type & 0xff == MessageType.newRule else { return }
            let r = nftnl_rule_alloc()!
            defer { nftnl_rule_free(r) }
            // Safety: the message lies in the receive buffer for the duration of the parse.
            guard nftnl_rule_nlmsg_parse(message.header, r) >= 0,
                  string(nftnl_rule_get_str(r, UInt16(NFTNL_RULE_TABLE.rawValue))) == table,
                  let chain = string(nftnl_rule_get_str(r, UInt16(NFTNL_RULE_CHAIN.rawValue))) else { return }
            var decoded = DecodedRule(chain: chain, handle: nftnl_rule_get_u64(r, UInt16(NFTNL_RULE_HANDLE.rawValue)), rule: Rule([]))
            var length: UInt32 = 0
            if let userdata = nftnl_rule_get_data(r, UInt16(NFTNL_RULE_USERDATA.rawValue), &length) {
                // Safety: libnftnl returns `length` bytes owned by the rule; copied at once.
                decoded.rule.comment = RuleUserdata.decodeComment(Array(UnsafeRawBufferPointer(start: userdata, count: Int(length))))
            }
            let iterator = nftnl_expr_iter_create(r)!
            defer { nftnl_expr_iter_destroy(iterator) }
            while let e = nftnl_expr_iter_next(iterator) {
                let (expression, counter) = ExpressionCoding.decode(e)
                decoded.rule.expressions.append(expression)
                if decoded.counter == nil, let counter { decoded.counter = counter }
            }
            rules.append(decoded)
        }
        return rules
    }
}

/// A Swift string from a C string libnftnl owns, nil for NULL.
func string(_ pointer: UnsafePointer<CChar>?) -> String? {
    // Safety: libnftnl strings are NUL-terminated and outlive this call.
    pointer.map { String(cString: $0) }
}
