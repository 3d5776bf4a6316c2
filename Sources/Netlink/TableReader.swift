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
    ///
    /// The read takes several dumps. An object that one dump listed and a later one cannot
    /// find (ENOENT: a set deleted between the set list and its element dump) means a commit
    /// came in between: that is reported like a dump the kernel flagged as interrupted
    /// (EINTR, "read again"), which callers already retry, not as a missing object.
    public func readTable(family: TableFamily = .inet, name: String = Table.migfwName, elements: Bool = true) throws -> TableSnapshot? {
        let generation = try generation()
        guard let header = try readTableHeader(family: family, name: name) else { return nil }
        do {
            return try readTableBody(family: family, name: name, header: header, elements: elements, generation: generation)
        } catch let error as NetlinkError {
            guard case .kernel(let operation, let code, _) = error, code == ENOENT,
                  try self.generation() != generation else { throw error }
            throw Self.interruptedDump(operation)
        }
    }

    private func readTableBody(family: TableFamily, name: String, header: TableHeader, elements: Bool,
                               generation: UInt32) throws -> TableSnapshot {
        var sets: [(header: SetHeader, elements: KernelElements)] = []
        var dynamic: [String: [DynamicElement]] = [:]
        for header in try readSets(family: family, table: name) {
            var elementsRead = KernelElements(keyLength: Int(header.keyLength))
            if elements, header.isDynamic {
                // A dynamic set's elements are runtime state: reported beside the model, never in it.
                dynamic[header.name] = try readDynamicElements(family: family, table: name, set: header.name,
                                                               setTimeout: header.timeout)
            } else if elements {
                elementsRead = try readElements(family: family, table: name, set: header.name, keyLength: Int(header.keyLength))
            }
            sets.append((header, elementsRead))
        }
        return DumpDecoding.snapshot(family: family, name: name, header: header, sets: sets, dynamic: dynamic,
                                     chains: try readChains(family: family, table: name),
                                     rules: try readRules(family: family, table: name), generation: generation)
    }

    /// The elements of the dynamic sets `sets` of table `family name` (counters, expiry),
    /// without dumping the rest of the table; a set that is missing or not dynamic is left out.
    public func readDynamicSets(family: TableFamily, name: String = Table.migfwName, sets: [String]) throws -> [String: [DynamicElement]] {
        guard try readTableHeader(family: family, name: name) != nil else { return [:] }
        var result: [String: [DynamicElement]] = [:]
        for header in try readSets(family: family, table: name) where sets.contains(header.name) && header.isDynamic {
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
                if let found = DumpDecoding.tableHeader(message, table: name) { header = found }
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

        /// A set the ruleset updates from the packet path (NFT_SET_EVAL): its elements are
        /// runtime state.
        var isDynamic: Bool { flags & SetFlags.eval.rawValue != 0 }
    }

    func readSets(family: TableFamily, table: String) throws -> [SetHeader] {
        var sets: [SetHeader] = []
        try request(NFT_MSG_GETSET, family: family.kernelValue, dump: true, operation: "list sets of \(table)",
                    build: { mnl_attr_put_strz($0, UInt16(NFTA_SET_TABLE.rawValue), table) }) { message in
            if let set = DumpDecoding.setHeader(message, table: table) { sets.append(set) }
        }
        return sets
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
            DumpDecoding.addElements(message, to: &elements)
        }
        return elements
    }

    func readChains(family: TableFamily, table: String) throws -> [Chain] {
        var chains: [Chain] = []
        try request(NFT_MSG_GETCHAIN, family: family.kernelValue, dump: true, operation: "list chains of \(table)",
                    build: { mnl_attr_put_strz($0, UInt16(NFTA_CHAIN_TABLE.rawValue), table) }) { message in
            if let chain = DumpDecoding.chain(message, table: table) { chains.append(chain) }
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
            if let rule = DumpDecoding.rule(message, table: table) { rules.append(rule) }
        }
        return rules
    }
}
