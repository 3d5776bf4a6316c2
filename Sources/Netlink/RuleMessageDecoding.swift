import CNftnl
import Ruleset

/// Chain and rule messages of a dump reply, decoded with migfw's own attribute walker
/// (``Attributes``). libnftnl's parsers trust the kernel and end the process on some
/// malformed attributes; here a message that cannot be read is nil, and an expression that
/// cannot be read is an ``Expression/unknown(name:detail:)``: the caller reports it (a table
/// that differs from the policy, a rule `status` cannot tell about) and goes on, in the
/// middle of an apply or its rollback too. libnftnl still builds the batches migfw sends.
extension DumpDecoding {
    static func chain(_ message: Messages.Message, table: String) -> Chain? {
        let attributes = message.attributes
        guard message.type & 0xff == MessageType.newChain,
              attributes.first(type(NFTA_CHAIN_TABLE))?.string == table,
              let name = attributes.first(type(NFTA_CHAIN_NAME)).map(\.string), !name.isEmpty else { return nil }
        var chain = Chain(name: name)
        guard let hook = attributes.first(type(NFTA_CHAIN_HOOK))?.nested,
              let hookValue = hook.first(type(NFTA_HOOK_HOOKNUM))?.bigEndianU32 else { return chain }
        let chainType = attributes.first(type(NFTA_CHAIN_TYPE))?.string ?? "filter"
        let policyCode = Int32(bitPattern: attributes.first(type(NFTA_CHAIN_POLICY))?.bigEndianU32 ?? UInt32(NF_ACCEPT))
        let priority = Int32(bitPattern: hook.first(type(NFTA_HOOK_PRIORITY))?.bigEndianU32 ?? 0)
        if let known = BaseChain.Hook(kernelValue: hookValue), let kind = BaseChain.ChainType(rawValue: chainType),
           let policy = Verdict(code: policyCode, chain: nil) {
            chain.base = BaseChain(type: kind, hook: known, priority: priority, policy: policy)
        } else {
            // A hook the model cannot express: keep the chain, mark it with a rule that can
            // never be compiled, so it differs from anything migfw wants.
            chain.rules = [Rule([.unknown(name: "chain", detail: "hook \(hookValue) type \(chainType) policy \(policyCode)")])]
        }
        return chain
    }

    static func rule(_ message: Messages.Message, table: String) -> NetlinkSession.DecodedRule? {
        let attributes = message.attributes
        guard message.type & 0xff == MessageType.newRule,
              attributes.first(type(NFTA_RULE_TABLE))?.string == table,
              let chain = attributes.first(type(NFTA_RULE_CHAIN)).map(\.string), !chain.isEmpty else { return nil }
        var decoded = NetlinkSession.DecodedRule(chain: chain, handle: attributes.first(type(NFTA_RULE_HANDLE))?.bigEndianU64 ?? 0,
                                                 rule: Rule([]))
        if let userdata = attributes.first(type(NFTA_RULE_USERDATA)) {
            decoded.rule.comment = RuleUserdata.decodeComment(Array(userdata.payload))
        }
        for element in attributes.first(type(NFTA_RULE_EXPRESSIONS))?.nested ?? Attributes(bytes: UnsafeRawBufferPointer(start: nil, count: 0))
        where element.type == type(NFTA_LIST_ELEM) {
            let (expression, counter) = ExpressionDecoding.decode(element.nested)
            decoded.rule.expressions.append(expression)
            if decoded.counter == nil, let counter { decoded.counter = counter }
        }
        return decoded
    }

    /// An attribute type constant as the walker reports types.
    static func type<T: RawRepresentable>(_ constant: T) -> UInt16 where T.RawValue: BinaryInteger { UInt16(constant.rawValue) }
}

/// One expression of a rule message (the attributes of an NFTA_LIST_ELEM), decoded into the
/// model. Anything the model does not express exactly, or a malformed expression, becomes
/// ``Expression/unknown(name:detail:)``.
enum ExpressionDecoding {
    static func decode(_ expression: Attributes) -> (Expression, counter: RuleCounter?) {
        let name = expression.first(t(NFTA_EXPR_NAME))?.string ?? "?"
        let data = expression.first(t(NFTA_EXPR_DATA))?.nested ?? Attributes(bytes: UnsafeRawBufferPointer(start: nil, count: 0))
        let unknown = Expression.unknown(name: name, detail: describe(name, data))
        func has(_ attribute: some RawRepresentable<UInt32>) -> Bool { data.first(t(attribute)) != nil }
        func u32(_ attribute: some RawRepresentable<UInt32>) -> UInt32? { data.first(t(attribute))?.bigEndianU32 }
        func u64(_ attribute: some RawRepresentable<UInt32>) -> UInt64? { data.first(t(attribute))?.bigEndianU64 }
        func str(_ attribute: some RawRepresentable<UInt32>) -> String? { data.first(t(attribute))?.string }
        func reg(_ attribute: some RawRepresentable<UInt32>) -> Register? { u32(attribute).flatMap { Register(rawValue: $0) } }
        /// The bytes of an NFTA_DATA_VALUE inside a data attribute.
        func value(_ attribute: some RawRepresentable<UInt32>) -> [UInt8]? {
            data.first(t(attribute))?.nested.first(t(NFTA_DATA_VALUE)).map { Array($0.payload) }
        }

        switch name {
        case "meta":
            guard !has(NFTA_META_SREG), let key = u32(NFTA_META_KEY).flatMap(MetaKey.init(kernelValue:)),
                  let dreg = reg(NFTA_META_DREG) else { return (unknown, nil) }
            return (.meta(key, dreg: dreg), nil)
        case "cmp":
            guard let op = u32(NFTA_CMP_OP).flatMap(CmpOp.init(kernelValue:)), let sreg = reg(NFTA_CMP_SREG),
                  let bytes = value(NFTA_CMP_DATA) else { return (unknown, nil) }
            return (.cmp(op, sreg: sreg, data: bytes), nil)
        case "payload":
            guard !has(NFTA_PAYLOAD_SREG), let base = u32(NFTA_PAYLOAD_BASE).flatMap(PayloadBase.init(kernelValue:)),
                  let dreg = reg(NFTA_PAYLOAD_DREG), let offset = u32(NFTA_PAYLOAD_OFFSET), let length = u32(NFTA_PAYLOAD_LEN)
            else { return (unknown, nil) }
            return (.payload(base, offset: offset, length: length, dreg: dreg), nil)
        case "bitwise":
            guard (u32(NFTA_BITWISE_OP) ?? 0) == 0 /* NFT_BITWISE_BOOL: mask and xor */,
                  let sreg = reg(NFTA_BITWISE_SREG), let dreg = reg(NFTA_BITWISE_DREG), let length = u32(NFTA_BITWISE_LEN),
                  let mask = value(NFTA_BITWISE_MASK), let xor = value(NFTA_BITWISE_XOR) else { return (unknown, nil) }
            return (.bitwise(sreg: sreg, dreg: dreg, length: length, mask: mask, xor: xor), nil)
        case "ct":
            guard !has(NFTA_CT_DIRECTION), !has(NFTA_CT_SREG), let key = u32(NFTA_CT_KEY).flatMap(CtKey.init(kernelValue:)),
                  let dreg = reg(NFTA_CT_DREG) else { return (unknown, nil) }
            return (.ct(key, dreg: dreg), nil)
        case "lookup":
            guard !has(NFTA_LOOKUP_DREG), let set = str(NFTA_LOOKUP_SET), !set.isEmpty, let sreg = reg(NFTA_LOOKUP_SREG)
            else { return (unknown, nil) }
            let inverted = (u32(NFTA_LOOKUP_FLAGS) ?? 0) & UInt32(NFT_LOOKUP_F_INV.rawValue) != 0
            return (.lookup(set: set, sreg: sreg, inverted: inverted), nil)
        case "range":
            guard let sreg = reg(NFTA_RANGE_SREG), let op = u32(NFTA_RANGE_OP), let from = value(NFTA_RANGE_FROM_DATA),
                  let to = value(NFTA_RANGE_TO_DATA) else { return (unknown, nil) }
            return (.range(op == NFT_RANGE_EQ.rawValue ? .eq : .neq, sreg: sreg, from: from, to: to), nil)
        case "counter":
            return (.counter, RuleCounter(packets: u64(NFTA_COUNTER_PACKETS) ?? 0, bytes: u64(NFTA_COUNTER_BYTES) ?? 0))
        case "limit":
            guard (u32(NFTA_LIMIT_TYPE) ?? 0) == NFT_LIMIT_PKTS.rawValue, let rate = u64(NFTA_LIMIT_RATE),
                  let unit = u64(NFTA_LIMIT_UNIT) else { return (unknown, nil) }
            let inverted = (u32(NFTA_LIMIT_FLAGS) ?? 0) & NFT_LIMIT_F_INV.rawValue != 0
            return (.limit(rate: rate, unitSeconds: unit, burst: u32(NFTA_LIMIT_BURST) ?? 0, inverted: inverted), nil)
        case "log":
            guard !has(NFTA_LOG_GROUP), (u32(NFTA_LOG_FLAGS) ?? 0) == 0 else { return (unknown, nil) }
            // The kernel reports a level for every log, LOGLEVEL_WARNING when none was given;
            // the model writes that default as nil (nft prints no `level` for it).
            var level = u32(NFTA_LOG_LEVEL).flatMap(LogLevel.init(rawValue:))
            if level == .warn { level = nil }
            return (.log(prefix: str(NFTA_LOG_PREFIX), level: level), nil)
        case "immediate":
            guard u32(NFTA_IMMEDIATE_DREG) == Register.verdict.rawValue,
                  let verdict = data.first(t(NFTA_IMMEDIATE_DATA))?.nested.first(t(NFTA_DATA_VERDICT))?.nested,
                  let code = verdict.first(t(NFTA_VERDICT_CODE))?.bigEndianU32,
                  let decoded = Verdict(code: Int32(bitPattern: code), chain: verdict.first(t(NFTA_VERDICT_CHAIN))?.string)
            else { return (unknown, nil) }
            return (.verdict(decoded), nil)
        case "dynset":
            // The kernel reports timeout 0 (the set's default) for an update that gave none,
            // and leaves out the expressions it took from the set (a per-element counter).
            guard u32(NFTA_DYNSET_OP) == UInt32(NFT_DYNSET_OP_UPDATE.rawValue), !has(NFTA_DYNSET_SREG_DATA),
                  !has(NFTA_DYNSET_EXPR), !has(NFTA_DYNSET_EXPRESSIONS), (u64(NFTA_DYNSET_TIMEOUT) ?? 0) == 0,
                  (u32(NFTA_DYNSET_FLAGS) ?? 0) == 0, let set = str(NFTA_DYNSET_SET_NAME), !set.isEmpty,
                  let sreg = reg(NFTA_DYNSET_SREG_KEY) else { return (unknown, nil) }
            return (.dynsetUpdate(set: set, sreg: sreg), nil)
        default:
            return (unknown, nil)
        }
    }

    private static func t<T: RawRepresentable>(_ constant: T) -> UInt16 where T.RawValue: BinaryInteger { UInt16(constant.rawValue) }

    /// A one-line text of an expression migfw does not model, for `.unknown`: its name and
    /// its attributes' types and sizes (`[ reject 1:4 2:1 ]`), never its strings.
    static func describe(_ name: String, _ data: Attributes) -> String {
        let attributes = data.map { "\($0.type):\($0.payload.count)" }
        return "[ " + ([name] + attributes).joined(separator: " ") + " ]"
    }
}
