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
        // Safety: `length` bytes were written by `build` inside the array.
        try request.withUnsafeBytes { try socket.send(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }

        // The kernel flags a dump that raced with a commit: its pieces may mix two
        // generations, so it must not be trusted. The rest of the dump is still read (up to
        // DONE or the error), else it stays queued and the next dump on this socket gets EBUSY.
        var interrupted = false
        while true {
          for datagram in try socket.receiveQueued(into: receiveBuffer, slotSize: Self.replySlot) {
            // Safety: recvmmsg wrote this datagram into the session-owned buffer.
            for message in Messages(bytes: UnsafeRawBufferPointer(rebasing: receiveBuffer[datagram])) {
                guard message.sequence == sequence else { continue }
                if message.flags & UInt16(NLM_F_DUMP_INTR) != 0 { interrupted = true }
                switch message.type {
                case UInt16(NLMSG_DONE):
                    if interrupted { throw Self.interruptedDump(operation) }
                    return
                case UInt16(NLMSG_ERROR):
                    guard let ack = message.acknowledgement else { throw NetlinkError.malformedReply("short error message") }
                    if ack.errno == 0 {
                        if interrupted { throw Self.interruptedDump(operation) }
                        return
                    }
                    if ack.errno == EPERM { throw NetlinkError.permissionDenied(operation: operation) }
                    throw NetlinkError.kernel(operation: operation, errno: ack.errno, extack: ack.extack)
                default:
                    // Pieces of an interrupted dump are thrown away anyway.
                    if !interrupted {
                        replyTap?(message.raw)
                        try body(message)
                    }
                }
            }
          }
        }
    }

    /// Room for one reply datagram in the receive buffer (a dump reply is at most 32,436
    /// bytes on this kernel, whatever the socket's buffer).
    static let replySlot = 32 * 1024

    /// The error for a dump the kernel flagged NLM_F_DUMP_INTR (read it again).
    static func interruptedDump(_ operation: String) -> NetlinkError {
        .kernel(operation: operation, errno: EINTR, extack: "dump interrupted by a concurrent ruleset change; read again")
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
