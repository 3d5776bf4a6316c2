import CNftnl

/// What a reply message must satisfy before libnftnl's parsers see it. libnftnl trusts the
/// kernel: a missing or unterminated string crashes it. No kernel sends such a message,
/// but a decoder of untrusted bytes (and its fuzzer) must not crash, so these messages are
/// treated like ones libnftnl cannot parse.
extension DumpDecoding {
    /// Whether libnftnl can parse this rule message without reading past it: every
    /// expression has a name (its parser passes a missing NFTA_EXPR_NAME to strcmp as a NULL
    /// string), and every string attribute it copies with strdup (table, chain, expression
    /// name, a lookup's or dynset's set, a log prefix, a verdict's chain, which a jump or
    /// goto must have) ends with its NUL inside the attribute (libmnl only checks that a
    /// string is not empty). All were found by the dump decoder's fuzzer; no kernel sends
    /// such a message, so it is treated like one libnftnl cannot parse.
    static func libnftnlCanParseRule(_ message: Messages.Message) -> Bool {
        for attribute in message.attributes {
            switch attribute.type {
            case UInt16(NFTA_RULE_TABLE.rawValue), UInt16(NFTA_RULE_CHAIN.rawValue):
                guard attribute.isTerminatedString else { return false }
            case UInt16(NFTA_RULE_EXPRESSIONS.rawValue):
                for element in attribute.nested where !expressionStringsAreTerminated(element.nested) { return false }
            default:
                break
            }
        }
        return true
    }

    /// One expression (the attributes of an NFTA_LIST_ELEM): its name, and the strings of
    /// the expressions migfw reads whose parsers strdup them. libnftnl keeps the last of
    /// repeated attributes and this check the first, so a repeated one (never sent by a
    /// kernel) is refused outright.
    private static func expressionStringsAreTerminated(_ expression: Attributes) -> Bool {
        guard expression.typesAreUnique,
              let name = expression.first(UInt16(NFTA_EXPR_NAME.rawValue)), name.isTerminatedString else { return false }
        guard let data = expression.first(UInt16(NFTA_EXPR_DATA.rawValue))?.nested else { return true }
        guard data.typesAreUnique else { return false }
        let strings: [UInt16]
        switch name.string {
        case "lookup": strings = [UInt16(NFTA_LOOKUP_SET.rawValue)]
        case "dynset":
            strings = [UInt16(NFTA_DYNSET_SET_NAME.rawValue)]
            // Its per-element expressions are parsed like a rule's.
            if let nested = data.first(UInt16(NFTA_DYNSET_EXPR.rawValue)), !expressionStringsAreTerminated(nested.nested) {
                return false
            }
            if let list = data.first(UInt16(NFTA_DYNSET_EXPRESSIONS.rawValue)),
               !list.nested.allSatisfy({ expressionStringsAreTerminated($0.nested) }) {
                return false
            }
        case "log": strings = [UInt16(NFTA_LOG_PREFIX.rawValue)]
        case "immediate":
            guard let value = data.first(UInt16(NFTA_IMMEDIATE_DATA.rawValue))?.nested else { return true }
            guard value.typesAreUnique else { return false }
            guard let verdict = value.first(UInt16(NFTA_DATA_VERDICT.rawValue))?.nested else { return true }
            guard verdict.typesAreUnique else { return false }
            let chain = verdict.first(UInt16(NFTA_VERDICT_CHAIN.rawValue))
            let code = verdict.first(UInt16(NFTA_VERDICT_CODE.rawValue))?.bigEndianU32.map { Int32(bitPattern: $0) }
            // A jump or goto without its chain: libnftnl strdups the missing string.
            if code == NFT_JUMP.rawValue || code == NFT_GOTO.rawValue { return chain?.isTerminatedString ?? false }
            return chain?.isTerminatedString ?? true
        default: strings = []
        }
        return data.allSatisfy { !strings.contains($0.type) || $0.isTerminatedString }
    }

    /// Whether a chain message's strings end with their NUL, as libnftnl's chain parser,
    /// which strdups them, needs: table, name, type, and a netdev hook's device names.
    static func libnftnlCanParseChain(_ message: Messages.Message) -> Bool {
        let strings = [NFTA_CHAIN_TABLE, NFTA_CHAIN_NAME, NFTA_CHAIN_TYPE].map { UInt16($0.rawValue) }
        guard message.attributes.allSatisfy({ !strings.contains($0.type) || $0.isTerminatedString }) else { return false }
        for hook in message.attributes where hook.type == UInt16(NFTA_CHAIN_HOOK.rawValue) {
            for attribute in hook.nested {
                if attribute.type == UInt16(NFTA_HOOK_DEV.rawValue) && !attribute.isTerminatedString { return false }
                if attribute.type == UInt16(NFTA_HOOK_DEVS.rawValue),
                   !attribute.nested.allSatisfy({ $0.type != UInt16(NFTA_DEVICE_NAME.rawValue) || $0.isTerminatedString }) {
                    return false
                }
            }
        }
        return true
    }
}

extension Attributes {
    /// No attribute type occurs twice (a kernel never repeats one inside an expression).
    var typesAreUnique: Bool {
        var seen = Set<UInt16>()
        return allSatisfy { seen.insert($0.type).inserted }
    }
}
