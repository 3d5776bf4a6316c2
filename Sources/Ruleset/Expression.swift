/// nf_tables expressions, one case per kernel expression type migfw uses, with the same
/// attributes the kernel stores, so a decoded rule compares equal to the one that was sent.
///
/// Counter values are runtime state, not part of the rule: `.counter` carries none, and the
/// netlink layer reports the numbers separately.
public enum Expression: Hashable, Sendable {
    /// `meta load KEY => reg DREG`
    case meta(MetaKey, dreg: Register)
    /// `cmp OP reg SREG DATA`
    case cmp(CmpOp, sreg: Register, data: [UInt8])
    /// `payload load LEN b @ BASE + OFFSET => reg DREG`
    case payload(PayloadBase, offset: UInt32, length: UInt32, dreg: Register)
    /// `bitwise reg DREG = (reg SREG & MASK) ^ XOR`
    case bitwise(sreg: Register, dreg: Register, length: UInt32, mask: [UInt8], xor: [UInt8])
    /// `ct load KEY => reg DREG`
    case ct(CtKey, dreg: Register)
    /// `lookup reg SREG set NAME` (`inverted`: `!=`)
    case lookup(set: String, sreg: Register, inverted: Bool)
    /// `range OP reg SREG FROM TO`
    case range(CmpOp, sreg: Register, from: [UInt8], to: [UInt8])
    /// `counter` (values are runtime state, see the type's comment)
    case counter
    /// `limit rate RATE/UNIT burst BURST type packets` (`inverted`: `over`)
    case limit(rate: UInt64, unitSeconds: UInt64, burst: UInt32, inverted: Bool)
    /// `log prefix PREFIX level LEVEL`
    case log(prefix: String?, level: LogLevel?)
    /// `immediate reg 0 VERDICT`
    case verdict(Verdict)
    /// `dynset update reg_key SREG set NAME`: adds the key to a dynamic set, or refreshes its
    /// timeout; the set's own expressions (a per-element counter) run on the element.
    /// Element contents are runtime state, like counter values.
    case dynsetUpdate(set: String, sreg: Register)
    /// An expression migfw does not model (decoded from a table someone else changed): the
    /// kernel's expression name and a short description of its attributes. Never compiled;
    /// its presence makes a decoded rule differ from every compiled one.
    case unknown(name: String, detail: String)
}

/// nf_tables registers. nft uses the 16-byte `reg 1` for nearly everything.
public enum Register: UInt32, Hashable, Sendable {
    case verdict = 0
    case reg1 = 1
    case reg2 = 2
    case reg3 = 3
    case reg4 = 4
}

/// `nft_meta_keys` migfw uses.
public enum MetaKey: String, Hashable, Sendable {
    case iifname, oifname, nfproto, l4proto, iif, oif, len, mark
    /// The frame's EtherType (`skb->protocol`): the network-layer dependency nft writes in a
    /// `bridge` table, where `meta nfproto` is always the bridge's own.
    case `protocol`
}

/// `nft_ct_keys` migfw uses.
public enum CtKey: String, Hashable, Sendable {
    case state, status, direction
}

/// `nft_payload_bases`.
public enum PayloadBase: String, Hashable, Sendable {
    case link, network, transport
}

/// `nft_cmp_ops`.
public enum CmpOp: String, Hashable, Sendable {
    case eq, neq, lt, lte, gt, gte
}

/// Syslog levels for the log expression.
public enum LogLevel: UInt32, Hashable, Sendable {
    case emerg = 0, alert, crit, err, warn, notice, info, debug
}

/// Verdicts.
public enum Verdict: Hashable, Sendable {
    case accept
    case drop
    case `continue`
    case `return`
    case jump(String)
    case goto(String)
}
