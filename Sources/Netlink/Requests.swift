import CNftnl
import Glibc

extension NetlinkSession {
    /// Sends one request (a GET, with NLM_F_DUMP when `dump`) and hands every reply message
    /// to `body` until the kernel says done (NLMSG_DONE, or the ACK of a non-dump request).
    func request(
        _ type: nf_tables_msg_types, family: UInt16, dump: Bool, operation: String,
        build: (UnsafeMutablePointer<nlmsghdr>) -> Void = { _ in }, requestSize: Int = 4096,
        _ body: (Messages.Message) throws -> Void
    ) throws {
        let sequence = nextSequence
        nextSequence &+= 1
        var request = [UInt8](repeating: 0, count: max(requestSize, 4096))
        let length = request.withUnsafeMutableBytes { raw -> Int in
            // Safety: zeroed memory of at least `requestSize` bytes, which the caller sizes
            // for what `build` writes (4 KiB for requests that carry only a few names).
            let header = nftnl_nlmsg_build_hdr(raw.baseAddress!.assumingMemoryBound(to: CChar.self), type.code, family,
                                               dump ? HeaderFlag.dump : HeaderFlag.ack, sequence)!
            build(header)
            return Int(header.pointee.nlmsg_len)
        }
        try request.withUnsafeBytes { try socket.send(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }

        while true {
            guard let received = try socket.receive(into: receiveBuffer, wait: true) else { continue }
            for message in Messages(bytes: UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<received])) {
                guard message.sequence == sequence else { continue }
                switch message.type {
                case UInt16(NLMSG_DONE):
                    return
                case UInt16(NLMSG_ERROR):
                    guard let ack = message.acknowledgement else { throw NetlinkError.malformedReply("short error message") }
                    if ack.errno == 0 { return }
                    if ack.errno == EPERM { throw NetlinkError.permissionDenied(operation: operation) }
                    throw NetlinkError.kernel(operation: operation, errno: ack.errno, extack: ack.extack)
                default:
                    try body(message)
                }
            }
        }
    }

    /// The ruleset generation id (`NFT_MSG_GETGEN`): it changes with every committed batch
    /// in this namespace. Put it in ``send(_:expectedGeneration:)`` for compare-and-swap.
    public func generation() throws -> UInt32 {
        var id: UInt32?
        try request(NFT_MSG_GETGEN, family: UInt16(NFPROTO_UNSPEC), dump: false, operation: "read generation id") { message in
            guard message.type & 0xff == MessageType.newGeneration else { return }
            id = message.attributes.first(UInt16(NFTA_GEN_ID.rawValue))?.bigEndianU32
        }
        guard let id else { throw NetlinkError.malformedReply("no generation id in reply") }
        return id
    }
}
