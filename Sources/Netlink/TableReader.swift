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
        var sets: [(header: SetHeader, elements: KernelElements)] = []
        for header in try readSets(family: family, table: name) {
            var elementsRead = KernelElements(keyLength: Int(header.keyLength))
            if elements {
                elementsRead = try readElements(family: family, table: name, set: header.name, keyLength: Int(header.keyLength))
            }
            sets.append((header, elementsRead))
        }
        return DumpDecoding.snapshot(family: family, name: name, header: header, sets: sets,
                                     chains: try readChains(family: family, table: name),
                                     rules: try readRules(family: family, table: name), generation: generation)
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
    }

    func readSets(family: TableFamily, table: String) throws -> [SetHeader] {
        var sets: [SetHeader] = []
        try request(NFT_MSG_GETSET, family: family.kernelValue, dump: true, operation: "list sets of \(table)",
                    build: { mnl_attr_put_strz($0, UInt16(NFTA_SET_TABLE.rawValue), table) }) { message in
            if let set = DumpDecoding.setHeader(message, table: table) { sets.append(set) }
        }
        return sets
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

/// A Swift string from a C string libnftnl owns, nil for NULL.
func string(_ pointer: UnsafePointer<CChar>?) -> String? {
    // Safety: libnftnl strings are NUL-terminated and outlive this call.
    pointer.map { String(cString: $0) }
}
