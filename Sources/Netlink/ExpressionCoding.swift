import CNftnl
import Ruleset

/// Expression <-> libnftnl `nftnl_expr`, attribute for attribute, so a decoded rule compares
/// equal to the one that was sent.
enum ExpressionCoding {
    /// Builds the libnftnl expression for `expression`; `setID` gives the batch-local id of
    /// a set created in the same batch (the kernel then finds it before it is committed).
    static func make(_ expression: Expression, setID: (String) -> UInt32?) throws -> OpaquePointer {
        func alloc(_ name: String) -> OpaquePointer { nftnl_expr_alloc(name)! }
        func a(_ attribute: Int) -> UInt16 { UInt16(attribute) }
        switch expression {
        case .meta(let key, let dreg):
            let e = alloc("meta")
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_META_KEY), key.kernelValue)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_META_DREG), dreg.rawValue)
            return e
        case .cmp(let op, let sreg, let data):
            let e = alloc("cmp")
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_CMP_SREG), sreg.rawValue)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_CMP_OP), op.kernelValue)
            setBytes(e, a(NFTNL_EXPR_CMP_DATA), data)
            return e
        case .payload(let base, let offset, let length, let dreg):
            let e = alloc("payload")
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_PAYLOAD_DREG), dreg.rawValue)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_PAYLOAD_BASE), base.kernelValue)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_PAYLOAD_OFFSET), offset)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_PAYLOAD_LEN), length)
            return e
        case .bitwise(let sreg, let dreg, let length, let mask, let xor):
            let e = alloc("bitwise")
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_BITWISE_SREG), sreg.rawValue)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_BITWISE_DREG), dreg.rawValue)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_BITWISE_LEN), length)
            setBytes(e, a(NFTNL_EXPR_BITWISE_MASK), mask)
            setBytes(e, a(NFTNL_EXPR_BITWISE_XOR), xor)
            return e
        case .ct(let key, let dreg):
            let e = alloc("ct")
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_CT_KEY), key.kernelValue)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_CT_DREG), dreg.rawValue)
            return e
        case .lookup(let set, let sreg, let inverted):
            let e = alloc("lookup")
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_LOOKUP_SREG), sreg.rawValue)
            nftnl_expr_set_str(e, a(NFTNL_EXPR_LOOKUP_SET), set)
            if let id = setID(set) { nftnl_expr_set_u32(e, a(NFTNL_EXPR_LOOKUP_SET_ID), id) }
            if inverted { nftnl_expr_set_u32(e, a(NFTNL_EXPR_LOOKUP_FLAGS), UInt32(NFT_LOOKUP_F_INV.rawValue)) }
            return e
        case .range(let op, let sreg, let from, let to):
            let e = alloc("range")
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_RANGE_SREG), sreg.rawValue)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_RANGE_OP), op == .eq ? NFT_RANGE_EQ.rawValue : NFT_RANGE_NEQ.rawValue)
            setBytes(e, a(NFTNL_EXPR_RANGE_FROM_DATA), from)
            setBytes(e, a(NFTNL_EXPR_RANGE_TO_DATA), to)
            return e
        case .counter:
            return alloc("counter")
        case .limit(let rate, let unit, let burst, let inverted):
            let e = alloc("limit")
            nftnl_expr_set_u64(e, a(NFTNL_EXPR_LIMIT_RATE), rate)
            nftnl_expr_set_u64(e, a(NFTNL_EXPR_LIMIT_UNIT), unit)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_LIMIT_BURST), burst)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_LIMIT_TYPE), NFT_LIMIT_PKTS.rawValue)
            if inverted { nftnl_expr_set_u32(e, a(NFTNL_EXPR_LIMIT_FLAGS), NFT_LIMIT_F_INV.rawValue) }
            return e
        case .log(let prefix, let level):
            let e = alloc("log")
            if let prefix { nftnl_expr_set_str(e, a(NFTNL_EXPR_LOG_PREFIX), prefix) }
            if let level { nftnl_expr_set_u32(e, a(NFTNL_EXPR_LOG_LEVEL), level.rawValue) }
            return e
        case .verdict(let verdict):
            let e = alloc("immediate")
            let (code, chain) = verdict.kernelValue
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_IMM_DREG), Register.verdict.rawValue)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_IMM_VERDICT), UInt32(bitPattern: code))
            if let chain { nftnl_expr_set_str(e, a(NFTNL_EXPR_IMM_CHAIN), chain) }
            return e
        case .dynsetUpdate(let set, let sreg):
            let e = alloc("dynset")
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_DYNSET_SREG_KEY), sreg.rawValue)
            nftnl_expr_set_u32(e, a(NFTNL_EXPR_DYNSET_OP), UInt32(NFT_DYNSET_OP_UPDATE.rawValue))
            nftnl_expr_set_str(e, a(NFTNL_EXPR_DYNSET_SET_NAME), set)
            if let id = setID(set) { nftnl_expr_set_u32(e, a(NFTNL_EXPR_DYNSET_SET_ID), id) }
            return e
        case .unknown(let name, _):
            throw NetlinkError.encoding("expression \(name) is not modelled and cannot be sent")
        }
    }

    private static func setBytes(_ e: OpaquePointer, _ attribute: UInt16, _ bytes: [UInt8]) {
        // Safety: libnftnl copies the bytes during the call.
        bytes.withUnsafeBytes { _ = nftnl_expr_set(e, attribute, $0.baseAddress, UInt32($0.count)) }
    }

    /// Decodes one libnftnl expression. A counter also yields its values.
    static func decode(_ e: OpaquePointer) -> (Expression, counter: RuleCounter?) {
        func a(_ attribute: Int) -> UInt16 { UInt16(attribute) }
        func has(_ attribute: Int) -> Bool { nftnl_expr_is_set(e, a(attribute)) }
        func u32(_ attribute: Int) -> UInt32 { nftnl_expr_get_u32(e, a(attribute)) }
        func u64(_ attribute: Int) -> UInt64 { nftnl_expr_get_u64(e, a(attribute)) }
        func str(_ attribute: Int) -> String? {
            guard has(attribute), let p = nftnl_expr_get_str(e, a(attribute)) else { return nil }
            // Safety: libnftnl returns a NUL-terminated string owned by the expression.
            return String(cString: p)
        }
        func bytes(_ attribute: Int) -> [UInt8] {
            var length: UInt32 = 0
            // Safety: libnftnl returns `length` bytes owned by the expression; copied at once.
            guard let p = nftnl_expr_get(e, a(attribute), &length) else { return [] }
            return Array(UnsafeRawBufferPointer(start: p, count: Int(length)))
        }
        func reg(_ attribute: Int) -> Register? { Register(rawValue: u32(attribute)) }
        // Safety: NFTNL_EXPR_NAME is always set on an expression libnftnl parsed.
        let name = nftnl_expr_get_str(e, a(NFTNL_EXPR_NAME)).map { String(cString: $0) } ?? "?"
        let unknown = Expression.unknown(name: name, detail: describe(e))

        switch name {
        case "meta":
            guard has(NFTNL_EXPR_META_DREG), let key = MetaKey(kernelValue: u32(NFTNL_EXPR_META_KEY)),
                  let dreg = reg(NFTNL_EXPR_META_DREG) else { return (unknown, nil) }
            return (.meta(key, dreg: dreg), nil)
        case "cmp":
            guard let op = CmpOp(kernelValue: u32(NFTNL_EXPR_CMP_OP)), let sreg = reg(NFTNL_EXPR_CMP_SREG)
            else { return (unknown, nil) }
            return (.cmp(op, sreg: sreg, data: bytes(NFTNL_EXPR_CMP_DATA)), nil)
        case "payload":
            guard !has(NFTNL_EXPR_PAYLOAD_SREG), let base = PayloadBase(kernelValue: u32(NFTNL_EXPR_PAYLOAD_BASE)),
                  let dreg = reg(NFTNL_EXPR_PAYLOAD_DREG) else { return (unknown, nil) }
            return (.payload(base, offset: u32(NFTNL_EXPR_PAYLOAD_OFFSET), length: u32(NFTNL_EXPR_PAYLOAD_LEN), dreg: dreg), nil)
        case "bitwise":
            guard u32(NFTNL_EXPR_BITWISE_OP) == 0 /* NFT_BITWISE_BOOL: mask and xor */,
                  let sreg = reg(NFTNL_EXPR_BITWISE_SREG), let dreg = reg(NFTNL_EXPR_BITWISE_DREG)
            else { return (unknown, nil) }
            return (.bitwise(sreg: sreg, dreg: dreg, length: u32(NFTNL_EXPR_BITWISE_LEN),
                             mask: bytes(NFTNL_EXPR_BITWISE_MASK), xor: bytes(NFTNL_EXPR_BITWISE_XOR)), nil)
        case "ct":
            guard has(NFTNL_EXPR_CT_DREG), !has(NFTNL_EXPR_CT_DIR), let key = CtKey(kernelValue: u32(NFTNL_EXPR_CT_KEY)),
                  let dreg = reg(NFTNL_EXPR_CT_DREG) else { return (unknown, nil) }
            return (.ct(key, dreg: dreg), nil)
        case "lookup":
            guard !has(NFTNL_EXPR_LOOKUP_DREG), let set = str(NFTNL_EXPR_LOOKUP_SET),
                  let sreg = reg(NFTNL_EXPR_LOOKUP_SREG) else { return (unknown, nil) }
            let inverted = has(NFTNL_EXPR_LOOKUP_FLAGS) && u32(NFTNL_EXPR_LOOKUP_FLAGS) & UInt32(NFT_LOOKUP_F_INV.rawValue) != 0
            return (.lookup(set: set, sreg: sreg, inverted: inverted), nil)
        case "range":
            let op: CmpOp = u32(NFTNL_EXPR_RANGE_OP) == NFT_RANGE_EQ.rawValue ? .eq : .neq
            guard let sreg = reg(NFTNL_EXPR_RANGE_SREG) else { return (unknown, nil) }
            return (.range(op, sreg: sreg, from: bytes(NFTNL_EXPR_RANGE_FROM_DATA), to: bytes(NFTNL_EXPR_RANGE_TO_DATA)), nil)
        case "counter":
            return (.counter, RuleCounter(packets: u64(NFTNL_EXPR_CTR_PACKETS), bytes: u64(NFTNL_EXPR_CTR_BYTES)))
        case "limit":
            guard u32(NFTNL_EXPR_LIMIT_TYPE) == NFT_LIMIT_PKTS.rawValue else { return (unknown, nil) }
            let inverted = u32(NFTNL_EXPR_LIMIT_FLAGS) & NFT_LIMIT_F_INV.rawValue != 0
            return (.limit(rate: u64(NFTNL_EXPR_LIMIT_RATE), unitSeconds: u64(NFTNL_EXPR_LIMIT_UNIT),
                           burst: u32(NFTNL_EXPR_LIMIT_BURST), inverted: inverted), nil)
        case "log":
            guard !has(NFTNL_EXPR_LOG_GROUP), !has(NFTNL_EXPR_LOG_FLAGS) || u32(NFTNL_EXPR_LOG_FLAGS) == 0
            else { return (unknown, nil) }
            // The kernel reports a level for every log, LOGLEVEL_WARNING when none was given;
            // the model writes that default as nil (nft prints no `level` for it).
            var level: LogLevel? = has(NFTNL_EXPR_LOG_LEVEL) ? LogLevel(rawValue: u32(NFTNL_EXPR_LOG_LEVEL)) : nil
            if level == .warn { level = nil }
            return (.log(prefix: str(NFTNL_EXPR_LOG_PREFIX), level: level), nil)
        case "immediate":
            guard u32(NFTNL_EXPR_IMM_DREG) == Register.verdict.rawValue, has(NFTNL_EXPR_IMM_VERDICT),
                  let verdict = Verdict(code: Int32(bitPattern: u32(NFTNL_EXPR_IMM_VERDICT)), chain: str(NFTNL_EXPR_IMM_CHAIN))
            else { return (unknown, nil) }
            return (.verdict(verdict), nil)
        case "dynset":
            // The kernel reports timeout 0 (the set's default) for an update that gave none,
            // and leaves out the expressions it took from the set (a per-element counter).
            guard u32(NFTNL_EXPR_DYNSET_OP) == UInt32(NFT_DYNSET_OP_UPDATE.rawValue),
                  !has(NFTNL_EXPR_DYNSET_SREG_DATA), !has(NFTNL_EXPR_DYNSET_EXPR),
                  !has(NFTNL_EXPR_DYNSET_EXPRESSIONS), u64(NFTNL_EXPR_DYNSET_TIMEOUT) == 0,
                  u32(NFTNL_EXPR_DYNSET_FLAGS) == 0,
                  let set = str(NFTNL_EXPR_DYNSET_SET_NAME), let sreg = reg(NFTNL_EXPR_DYNSET_SREG_KEY)
            else { return (unknown, nil) }
            return (.dynsetUpdate(set: set, sreg: sreg), nil)
        default:
            return (unknown, nil)
        }
    }

    /// libnftnl's own one-line text of an expression, for `.unknown` (what nft --debug shows).
    private static func describe(_ e: OpaquePointer) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        // Safety: snprintf-style: writes at most `buffer.count` bytes, NUL-terminated.
        let written = nftnl_expr_snprintf(&buffer, buffer.count, e, UInt32(NFTNL_OUTPUT_DEFAULT.rawValue), 0)
        guard written > 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
