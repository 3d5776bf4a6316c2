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
}
