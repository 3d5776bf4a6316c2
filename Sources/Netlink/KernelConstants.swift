import CNftnl
import Ruleset

// Small typed bridges between the model's enums and the kernel's numbers. The C headers
// import some constants as Int32, some as Int and named enums as structs; everything is
// narrowed here once.

extension nf_tables_msg_types {
    var code: UInt16 { UInt16(rawValue) }
}

/// Message types by code, for naming replies.
enum MessageType {
    static let newTable = NFT_MSG_NEWTABLE.code
    static let newChain = NFT_MSG_NEWCHAIN.code
    static let newRule = NFT_MSG_NEWRULE.code
    static let newSet = NFT_MSG_NEWSET.code
    static let newSetElement = NFT_MSG_NEWSETELEM.code
    static let newGeneration = NFT_MSG_NEWGEN.code
}

/// Netlink header flags as UInt16.
enum HeaderFlag {
    static let request = UInt16(NLM_F_REQUEST)
    static let ack = UInt16(NLM_F_ACK)
    static let create = UInt16(NLM_F_CREATE)
    static let exclusive = UInt16(NLM_F_EXCL)
    static let append = UInt16(NLM_F_APPEND)
    static let dump = UInt16(NLM_F_DUMP)
}

extension TableFamily {
    /// `NFPROTO_*`.
    var kernelValue: UInt16 {
        switch self {
        case .inet: UInt16(NFPROTO_INET)
        case .ip: UInt16(NFPROTO_IPV4)
        case .ip6: UInt16(NFPROTO_IPV6)
        case .arp: UInt16(NFPROTO_ARP)
        case .bridge: UInt16(NFPROTO_BRIDGE)
        case .netdev: UInt16(NFPROTO_NETDEV)
        }
    }
}

extension SetKeyType {
    /// nft's datatype numbers (`enum datatypes` in nftables' datatype.h), which the kernel
    /// stores opaquely and nft reads back to print elements.
    var nftDatatype: UInt32? {
        switch self {
        case .ipv4Address: 7
        case .ipv6Address: 8
        case .inetService: 13
        case .unknown: nil
        }
    }

    init(nftDatatype: UInt32, length: UInt32) {
        switch (nftDatatype, length) {
        case (7, 4): self = .ipv4Address
        case (8, 16): self = .ipv6Address
        case (13, 2): self = .inetService
        default: self = .unknown
        }
    }
}

extension BaseChain.Hook {
    /// `NF_INET_*`.
    var kernelValue: UInt32 {
        switch self {
        case .prerouting: UInt32(NF_INET_PRE_ROUTING.rawValue)
        case .input: UInt32(NF_INET_LOCAL_IN.rawValue)
        case .forward: UInt32(NF_INET_FORWARD.rawValue)
        case .output: UInt32(NF_INET_LOCAL_OUT.rawValue)
        case .postrouting: UInt32(NF_INET_POST_ROUTING.rawValue)
        }
    }

    init?(kernelValue: UInt32) {
        guard let hook = Self.allHooks.first(where: { $0.kernelValue == kernelValue }) else { return nil }
        self = hook
    }

    private static let allHooks: [Self] = [.prerouting, .input, .forward, .output, .postrouting]
}

extension MetaKey {
    var kernelValue: UInt32 {
        switch self {
        case .iifname: NFT_META_IIFNAME.rawValue
        case .oifname: NFT_META_OIFNAME.rawValue
        case .nfproto: NFT_META_NFPROTO.rawValue
        case .l4proto: NFT_META_L4PROTO.rawValue
        case .iif: NFT_META_IIF.rawValue
        case .oif: NFT_META_OIF.rawValue
        case .len: NFT_META_LEN.rawValue
        case .mark: NFT_META_MARK.rawValue
        case .protocol: NFT_META_PROTOCOL.rawValue
        }
    }
    static let all: [MetaKey] = [.iifname, .oifname, .nfproto, .l4proto, .iif, .oif, .len, .mark, .protocol]
    init?(kernelValue: UInt32) {
        guard let key = Self.all.first(where: { $0.kernelValue == kernelValue }) else { return nil }
        self = key
    }
}

extension CtKey {
    var kernelValue: UInt32 {
        switch self {
        case .state: NFT_CT_STATE.rawValue
        case .status: NFT_CT_STATUS.rawValue
        case .direction: NFT_CT_DIRECTION.rawValue
        }
    }
    static let all: [CtKey] = [.state, .status, .direction]
    init?(kernelValue: UInt32) {
        guard let key = Self.all.first(where: { $0.kernelValue == kernelValue }) else { return nil }
        self = key
    }
}

extension PayloadBase {
    var kernelValue: UInt32 {
        switch self {
        case .link: NFT_PAYLOAD_LL_HEADER.rawValue
        case .network: NFT_PAYLOAD_NETWORK_HEADER.rawValue
        case .transport: NFT_PAYLOAD_TRANSPORT_HEADER.rawValue
        }
    }
    static let all: [PayloadBase] = [.link, .network, .transport]
    init?(kernelValue: UInt32) {
        guard let base = Self.all.first(where: { $0.kernelValue == kernelValue }) else { return nil }
        self = base
    }
}

extension CmpOp {
    var kernelValue: UInt32 {
        switch self {
        case .eq: NFT_CMP_EQ.rawValue
        case .neq: NFT_CMP_NEQ.rawValue
        case .lt: NFT_CMP_LT.rawValue
        case .lte: NFT_CMP_LTE.rawValue
        case .gt: NFT_CMP_GT.rawValue
        case .gte: NFT_CMP_GTE.rawValue
        }
    }
    static let all: [CmpOp] = [.eq, .neq, .lt, .lte, .gt, .gte]
    init?(kernelValue: UInt32) {
        guard let op = Self.all.first(where: { $0.kernelValue == kernelValue }) else { return nil }
        self = op
    }
}

extension Verdict {
    /// The kernel's verdict code (`NF_ACCEPT`, `NF_DROP`, `NFT_*`) and the target chain.
    var kernelValue: (code: Int32, chain: String?) {
        switch self {
        case .accept: (NF_ACCEPT, nil)
        case .drop: (NF_DROP, nil)
        case .continue: (NFT_CONTINUE.rawValue, nil)
        case .return: (NFT_RETURN.rawValue, nil)
        case .jump(let chain): (NFT_JUMP.rawValue, chain)
        case .goto(let chain): (NFT_GOTO.rawValue, chain)
        }
    }

    init?(code: Int32, chain: String?) {
        switch code {
        case NF_ACCEPT: self = .accept
        case NF_DROP: self = .drop
        case NFT_CONTINUE.rawValue: self = .continue
        case NFT_RETURN.rawValue: self = .return
        case NFT_JUMP.rawValue: guard let chain else { return nil }; self = .jump(chain)
        case NFT_GOTO.rawValue: guard let chain else { return nil }; self = .goto(chain)
        default: return nil
        }
    }
}
