import CNftnl
import Ruleset

/// Encodes a ``Batch`` into one contiguous buffer of netlink messages: BATCH_BEGIN (with the
/// generation id when compare-and-swap is wanted), the operations, BATCH_END.
enum BatchEncoder {
    static func encode(_ batch: Batch, generation: UInt32?, firstSequence: UInt32) throws -> MessageBuffer {
        let buffer = MessageBuffer(firstSequence: firstSequence)
        let family = batch.family.kernelValue
        let table = batch.table
        // Set ids only for sets created in this batch: an element message carrying an id
        // falls back to it when the name is not found, so elements meant for a misspelled
        // set would silently land in another one.
        var setIDs: [String: UInt32] = [:]
        // Rules added per chain in this batch, to name them in errors ("add rule 3 to chain input").
        var rulesAdded: [String: Int] = [:]

        buffer.append("begin batch") { start, sequence in
            // Safety: `start` has MessageBuffer.messageReserve zeroed bytes.
            let header = nftnl_batch_begin(start.assumingMemoryBound(to: CChar.self), sequence)!
            if let generation, generation != 0 {
                mnl_attr_put_u32(header, UInt16(NFNL_BATCH_GENID.rawValue), generation.bigEndian)
            }
            return header
        }

        for operation in batch.operations {
            switch operation {
            case .addTable(let userdata, let flags):
                try appendTable(buffer, NFT_MSG_NEWTABLE, HeaderFlag.create | HeaderFlag.ack, family, table, userdata, flags: flags,
                                "add table \(batch.family.rawValue) \(table)")
            case .deleteTable:
                try appendTable(buffer, NFT_MSG_DELTABLE, HeaderFlag.ack, family, table, nil, flags: nil,
                                "delete table \(batch.family.rawValue) \(table)")
            case .deleteTableOfFamily(let other):
                try appendTable(buffer, NFT_MSG_DELTABLE, HeaderFlag.ack, other.kernelValue, table, nil, flags: nil,
                                "delete table \(other.rawValue) \(table)")
            case .addSet(let set):
                let id = UInt32(setIDs.count + 1)
                setIDs[set.name] = id
                try appendSet(buffer, NFT_MSG_NEWSET, HeaderFlag.create | HeaderFlag.exclusive | HeaderFlag.ack,
                              family, table, set, id: id, "add set \(set.name)")
                let elements = try KernelElements(set.elements, interval: set.flags.contains(.interval))
                if elements.count > 0 {
                    ElementMessages.append(to: buffer, type: NFT_MSG_NEWSETELEM, flags: HeaderFlag.create | HeaderFlag.exclusive | HeaderFlag.ack,
                                           family: family, table: table, set: set.name, setID: id,
                                           elements: elements, describe: "add set element to")
                }
            case .deleteSet(let name):
                try appendSet(buffer, NFT_MSG_DELSET, HeaderFlag.ack, family, table,
                              NamedSet(name: name, flags: [], elements: .ports([])), id: nil, "delete set \(name)")
            case .addElements(let set, let elements), .deleteElements(let set, let elements):
                let adding = if case .addElements = operation { true } else { false }
                // The interval flag is the set's; element deltas only ever target interval
                // sets in migfw, and a single value encodes the same either way.
                let list = try KernelElements(elements, interval: true)
                guard list.count > 0 else { continue }
                ElementMessages.append(
                    to: buffer, type: adding ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
                    flags: adding ? HeaderFlag.create | HeaderFlag.exclusive | HeaderFlag.ack : HeaderFlag.ack,
                    family: family, table: table, set: set, setID: setIDs[set], elements: list,
                    describe: adding ? "add set element to" : "delete set element from")
            case .addChain(let chain):
                try appendChain(buffer, NFT_MSG_NEWCHAIN, HeaderFlag.create | HeaderFlag.exclusive | HeaderFlag.ack, family, table, chain,
                                "add chain \(chain.name)")
                for rule in chain.rules {
                    rulesAdded[chain.name, default: 0] += 1
                    try appendRule(buffer, family, table, chain.name, rule, setIDs: setIDs,
                                   "add rule \(rulesAdded[chain.name]!) to chain \(chain.name)")
                }
            case .deleteChain(let name):
                try appendChain(buffer, NFT_MSG_DELCHAIN, HeaderFlag.ack, family, table, Chain(name: name),
                                "delete chain \(name)")
            case .flushChain(let name):
                try appendChainFlush(buffer, family, table, name, "flush chain \(name)")
            case .addRule(let chain, let rule):
                rulesAdded[chain, default: 0] += 1
                try appendRule(buffer, family, table, chain, rule, setIDs: setIDs,
                               "add rule \(rulesAdded[chain]!) to chain \(chain)")
            }
        }

        buffer.append("commit batch") { start, sequence in
            // Safety: `start` has MessageBuffer.messageReserve zeroed bytes.
            let header = nftnl_batch_end(start.assumingMemoryBound(to: CChar.self), sequence)!
            // 6.18 ACKs BATCH_END only when the whole batch committed: the proof of success.
            header.pointee.nlmsg_flags |= HeaderFlag.ack
            return header
        }
        return buffer
    }

    // MARK: objects through libnftnl

    /// Builds one message from a libnftnl object: `make` allocates and fills it, `payload`
    /// writes it, `free` releases it (exactly once).
    private static func appendObject(
        _ buffer: MessageBuffer, _ type: nf_tables_msg_types, _ flags: UInt16, _ family: UInt16, _ operation: String,
        make: () throws -> OpaquePointer, payload: (UnsafeMutablePointer<nlmsghdr>, OpaquePointer) -> Void,
        free: (OpaquePointer) -> Void
    ) throws {
        let object = try make()
        defer { free(object) }
        buffer.append(operation) { start, sequence in
            // Safety: `start` has MessageBuffer.messageReserve zeroed bytes; these objects are small.
            let header = nftnl_nlmsg_build_hdr(start.assumingMemoryBound(to: CChar.self), type.code, family, flags, sequence)!
            payload(header, object)
            return header
        }
    }

    private static func appendTable(_ buffer: MessageBuffer, _ type: nf_tables_msg_types, _ flags: UInt16, _ family: UInt16,
                                    _ name: String, _ userdata: [UInt8]?, flags tableFlags: TableFlags?,
                                    _ operation: String) throws {
        try appendObject(buffer, type, flags, family, operation, make: {
            let t = nftnl_table_alloc()!
            nftnl_table_set_str(t, UInt16(NFTNL_TABLE_NAME.rawValue), name)
            nftnl_table_set_u32(t, UInt16(NFTNL_TABLE_FAMILY.rawValue), UInt32(family))
            // Always sent with NEWTABLE, even when 0: without the attribute the kernel leaves
            // an existing table's flags (dormant) as they are.
            if let tableFlags { nftnl_table_set_u32(t, UInt16(NFTNL_TABLE_FLAGS.rawValue), tableFlags.rawValue) }
            if let userdata, !userdata.isEmpty {
                // Safety: libnftnl copies the bytes.
                userdata.withUnsafeBytes { _ = nftnl_table_set_data(t, UInt16(NFTNL_TABLE_USERDATA.rawValue), $0.baseAddress, UInt32($0.count)) }
            }
            return t
        }, payload: { nftnl_table_nlmsg_build_payload($0, $1) }, free: { nftnl_table_free($0) })
    }

    private static func appendSet(_ buffer: MessageBuffer, _ type: nf_tables_msg_types, _ flags: UInt16, _ family: UInt16,
                                  _ table: String, _ set: NamedSet, id: UInt32?, _ operation: String) throws {
        try appendObject(buffer, type, flags, family, operation, make: {
            let s = nftnl_set_alloc()!
            nftnl_set_set_str(s, UInt16(NFTNL_SET_TABLE.rawValue), table)
            nftnl_set_set_str(s, UInt16(NFTNL_SET_NAME.rawValue), set.name)
            nftnl_set_set_u32(s, UInt16(NFTNL_SET_FAMILY.rawValue), UInt32(family))
            if let id {
                guard let datatype = set.keyType.nftDatatype else {
                    nftnl_set_free(s)
                    throw NetlinkError.encoding("set \(set.name) has a key type migfw does not model")
                }
                nftnl_set_set_u32(s, UInt16(NFTNL_SET_FLAGS.rawValue), set.flags.rawValue)
                nftnl_set_set_u32(s, UInt16(NFTNL_SET_KEY_TYPE.rawValue), datatype)
                nftnl_set_set_u32(s, UInt16(NFTNL_SET_KEY_LEN.rawValue), UInt32(set.keyType.keyLength))
                nftnl_set_set_u32(s, UInt16(NFTNL_SET_ID.rawValue), id)
                if let size = set.size { nftnl_set_set_u32(s, UInt16(NFTNL_SET_DESC_SIZE.rawValue), size) }
                if let timeout = set.timeoutMilliseconds { nftnl_set_set_u64(s, UInt16(NFTNL_SET_TIMEOUT.rawValue), timeout) }
                // The set owns the expression once added and frees it with itself.
                if set.elementCounter { nftnl_set_add_expr(s, nftnl_expr_alloc("counter")!) }
            }
            return s
        }, payload: { nftnl_set_nlmsg_build_payload($0, $1) }, free: { nftnl_set_free($0) })
    }

    private static func appendChain(_ buffer: MessageBuffer, _ type: nf_tables_msg_types, _ flags: UInt16, _ family: UInt16,
                                    _ table: String, _ chain: Chain, _ operation: String) throws {
        try appendObject(buffer, type, flags, family, operation, make: {
            let c = nftnl_chain_alloc()!
            nftnl_chain_set_str(c, UInt16(NFTNL_CHAIN_TABLE.rawValue), table)
            nftnl_chain_set_str(c, UInt16(NFTNL_CHAIN_NAME.rawValue), chain.name)
            nftnl_chain_set_u32(c, UInt16(NFTNL_CHAIN_FAMILY.rawValue), UInt32(family))
            if let base = chain.base {
                nftnl_chain_set_u32(c, UInt16(NFTNL_CHAIN_HOOKNUM.rawValue), base.hook.kernelValue)
                nftnl_chain_set_s32(c, UInt16(NFTNL_CHAIN_PRIO.rawValue), base.priority)
                nftnl_chain_set_u32(c, UInt16(NFTNL_CHAIN_POLICY.rawValue), UInt32(bitPattern: base.policy.kernelValue.code))
                nftnl_chain_set_str(c, UInt16(NFTNL_CHAIN_TYPE.rawValue), base.type.rawValue)
            }
            return c
        }, payload: { nftnl_chain_nlmsg_build_payload($0, $1) }, free: { nftnl_chain_free($0) })
    }

    private static func appendRule(_ buffer: MessageBuffer, _ family: UInt16, _ table: String, _ chain: String,
                                   _ rule: Rule, setIDs: [String: UInt32], _ operation: String) throws {
        try appendObject(buffer, NFT_MSG_NEWRULE, HeaderFlag.create | HeaderFlag.append | HeaderFlag.ack, family, operation, make: {
            let r = nftnl_rule_alloc()!
            nftnl_rule_set_str(r, UInt16(NFTNL_RULE_TABLE.rawValue), table)
            nftnl_rule_set_str(r, UInt16(NFTNL_RULE_CHAIN.rawValue), chain)
            nftnl_rule_set_u32(r, UInt16(NFTNL_RULE_FAMILY.rawValue), UInt32(family))
            if let comment = rule.comment {
                let userdata = RuleUserdata.encode(comment: comment)
                // Safety: libnftnl copies the bytes.
                userdata.withUnsafeBytes { _ = nftnl_rule_set_data(r, UInt16(NFTNL_RULE_USERDATA.rawValue), $0.baseAddress, UInt32($0.count)) }
            }
            do {
                for expression in rule.expressions {
                    // The rule owns each expression once added and frees it with itself.
                    nftnl_rule_add_expr(r, try ExpressionCoding.make(expression, setID: { setIDs[$0] }))
                }
            } catch {
                nftnl_rule_free(r)
                throw error
            }
            return r
        }, payload: { nftnl_rule_nlmsg_build_payload($0, $1) }, free: { nftnl_rule_free($0) })
    }

    /// `NFT_MSG_DELRULE` without a handle: every rule of `chain`.
    private static func appendChainFlush(_ buffer: MessageBuffer, _ family: UInt16, _ table: String, _ chain: String,
                                         _ operation: String) throws {
        try appendObject(buffer, NFT_MSG_DELRULE, HeaderFlag.ack, family, operation, make: {
            let r = nftnl_rule_alloc()!
            nftnl_rule_set_str(r, UInt16(NFTNL_RULE_TABLE.rawValue), table)
            nftnl_rule_set_str(r, UInt16(NFTNL_RULE_CHAIN.rawValue), chain)
            nftnl_rule_set_u32(r, UInt16(NFTNL_RULE_FAMILY.rawValue), UInt32(family))
            return r
        }, payload: { nftnl_rule_nlmsg_build_payload($0, $1) }, free: { nftnl_rule_free($0) })
    }
}

/// Rule userdata in nft's TLV format (`nftnl_udata`): the comment is type
/// NFTNL_UDATA_RULE_COMMENT, NUL-terminated, so `nft list` prints `comment "..."`.
enum RuleUserdata {
    static func encode(comment: String) -> [UInt8] {
        // nft limits comments to 128 bytes including the NUL (NFTNL_UDATA_COMMENT_MAXLEN).
        let text = Array(comment.utf8.prefix(127)) + [0]
        return [UInt8(NFTNL_UDATA_RULE_COMMENT.rawValue), UInt8(text.count)] + text
    }

    static func decodeComment(_ userdata: [UInt8]) -> String? {
        var index = 0
        while index + 2 <= userdata.count {
            let type = userdata[index], length = Int(userdata[index + 1])
            let value = index + 2
            guard value + length <= userdata.count else { return nil }
            if type == UInt8(NFTNL_UDATA_RULE_COMMENT.rawValue) {
                return String(decoding: userdata[value..<(value + length)].prefix { $0 != 0 }, as: UTF8.self)
            }
            index = value + length
        }
        return nil
    }
}
