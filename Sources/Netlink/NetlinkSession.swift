import CNftnl
import Glibc
import Ruleset

/// A connection to nf_tables, optionally inside a named network namespace.
///
/// The namespace is entered only while the socket is opened (see ``NetworkNamespace``); the
/// socket stays in it for its whole life. Not thread-safe: use one session per thread.
public final class NetlinkSession {
    let socket: NetlinkSocket
    /// The namespace this session works in (nil: the caller's).
    public let namespace: String?
    var nextSequence: UInt32
    /// Receive buffer for replies: 32 slots of ``replySlot`` bytes, one datagram each.
    let receiveBuffer: UnsafeMutableRawBufferPointer
    /// Sees every reply message `request` hands on, while ``captureTableDump(family:name:)`` runs.
    var replyTap: ((UnsafeRawBufferPointer) -> Void)?

    /// Opens a netfilter netlink socket in `namespace` (`/run/netns/NAME`) or in the
    /// current namespace.
    public init(namespace: String? = nil) throws {
        self.namespace = namespace
        socket = try NetworkNamespace.run(in: namespace) { try NetlinkSocket() }
        // Sequence numbers only need to be distinct within this socket's lifetime.
        nextSequence = UInt32(truncatingIfNeeded: time(nil))
        // Safety: owned by this session, freed in deinit.
        receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 32 * Self.replySlot, alignment: 8)
    }

    deinit { receiveBuffer.deallocate() }

    /// What a committed batch cost.
    public struct Receipt: Sendable {
        /// Netlink messages sent, BATCH_BEGIN and BATCH_END included.
        public var messages: Int
        /// Bytes in the one sendmsg.
        public var bytes: Int
        /// Time spent encoding the batch (user space).
        public var encodeSeconds: Double
        /// Time inside the one sendmsg: nfnetlink processes the whole batch, insert and
        /// commit, before it returns, so this is the kernel's own cost of the transaction.
        public var kernelSeconds: Double

        public init(messages: Int, bytes: Int, encodeSeconds: Double, kernelSeconds: Double) {
            self.messages = messages
            self.bytes = bytes
            self.encodeSeconds = encodeSeconds
            self.kernelSeconds = kernelSeconds
        }
    }

    /// Sends `batch` in one `sendmsg` and walks every ACK by sequence number.
    ///
    /// With `expectedGeneration` (from ``generation()``), the kernel rejects the batch if the
    /// ruleset changed since (``NetlinkError/generationChanged``). Success means the kernel
    /// reported no error for any message and ACKed BATCH_END, which it does only on commit.
    @discardableResult
    public func send(_ batch: Batch, expectedGeneration: UInt32? = nil) throws -> Receipt {
        let clock = ContinuousClock()
        let start = clock.now
        let buffer = try BatchEncoder.encode(batch, generation: expectedGeneration, firstSequence: nextSequence)
        nextSequence &+= UInt32(buffer.messageCount)
        // Every ACK is its own skb (~1 KiB of receive buffer each with extack).
        try socket.reserve(sendBytes: buffer.count + 64 * 1024, receiveBytes: max(buffer.messageCount * 2048, 512 * 1024))
        let encoded = clock.now
        try socket.send(buffer.bytes)
        let sent = clock.now
        try walkAcknowledgements(buffer)
        return Receipt(messages: buffer.messageCount, bytes: buffer.count,
                       encodeSeconds: (encoded - start).seconds, kernelSeconds: (sent - encoded).seconds)
    }

    private func walkAcknowledgements(_ buffer: MessageBuffer) throws {
        let begin = buffer.firstSequence
        let end = buffer.firstSequence &+ UInt32(buffer.messageCount) &- 1
        var failures: [(sequence: UInt32, errno: Int32, extack: String?)] = []
        var committed = false
        var waited = false
        // nfnetlink processes the batch inside sendmsg, so every reply is already queued;
        // wait briefly once only if the outcome is still unknown.
        while !committed {
            let received: Int?
            do {
                received = try socket.receive(into: receiveBuffer, wait: false)
            } catch NetlinkError.system(_, let code) where code == ENOBUFS {
                // ACKs were dropped: the outcome of the batch is unknown; say so plainly.
                throw NetlinkError.system(call: "receiving the batch's ACKs (receive buffer overrun: whether the batch committed is unknown; read the table to find out)", errno: ENOBUFS)
            }
            guard let length = received else {
                if !failures.isEmpty || waited { break }
                waited = true
                var descriptor = pollfd(fd: socket.descriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&descriptor, 1, 1000)
                continue
            }
            // Safety: recv wrote `length` bytes into the session-owned buffer; parsed before the next recv.
            for message in Messages(bytes: UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<length])) {
                guard message.type == UInt16(NLMSG_ERROR), let ack = message.acknowledgement else { continue }
                guard ack.sequence >= begin && ack.sequence <= end else { continue }
                if ack.errno == 0 {
                    if ack.sequence == end { committed = true }
                } else {
                    failures.append((ack.sequence, ack.errno, ack.extack))
                }
            }
        }
        if let first = failures.min(by: { $0.sequence &- begin < $1.sequence &- begin }) {
            if first.sequence == begin && first.errno == ERESTART { throw NetlinkError.generationChanged }
            if first.errno == EPERM { throw NetlinkError.permissionDenied(operation: buffer.describe(first.sequence) ?? "batch") }
            throw NetlinkError.kernel(operation: buffer.describe(first.sequence) ?? "message \(first.sequence)",
                                      errno: first.errno, extack: first.extack)
        }
        guard committed else {
            throw NetlinkError.malformedReply("the kernel neither reported an error nor confirmed the commit")
        }
    }
}

/// The messages in one received datagram.
struct Messages: Sequence {
    let bytes: UnsafeRawBufferPointer

    struct Message {
        let type: UInt16
        let flags: UInt16
        let sequence: UInt32
        /// The whole message, header included.
        let raw: UnsafeRawBufferPointer
        /// The payload after the netlink header and the 4-byte nfgenmsg.
        var attributes: Attributes {
            let start = Swift.min(raw.count, 16 + 4)
            // Safety: a slice of `raw`, clamped to its end.
            return Attributes(bytes: UnsafeRawBufferPointer(rebasing: raw[start...]))
        }
        /// Safety: `raw` starts with a complete nlmsghdr (the iterator checked 16 bytes) at
        /// 4-byte alignment (netlink aligns messages; the receive buffer is 8-aligned).
        var header: UnsafePointer<nlmsghdr> { raw.baseAddress!.assumingMemoryBound(to: nlmsghdr.self) }

        /// For NLMSG_ERROR: the ACKed sequence, the errno (0 = success) and the extack text.
        var acknowledgement: (sequence: UInt32, errno: Int32, extack: String?)? {
            // struct nlmsgerr: int error; struct nlmsghdr msg; then (capped ACK) TLVs.
            guard raw.count >= 16 + 4 + 16 else { return nil }
            // Safety: header, error code and the original header are inside `raw` (checked).
            let error = raw.loadUnaligned(fromByteOffset: 16, as: Int32.self)
            let original = raw.loadUnaligned(fromByteOffset: 20 + 8, as: UInt32.self)
            var extack: String?
            if flags & UInt16(NLM_F_ACK_TLVS) != 0 {
                let originalLength = Int(raw.loadUnaligned(fromByteOffset: 20, as: UInt32.self))
                let tlvStart = flags & UInt16(NLM_F_CAPPED) != 0 ? 36 : 20 + ((originalLength + 3) & ~3)
                if tlvStart < raw.count {
                    // Safety: a slice of `raw` from an offset inside it.
                    extack = Attributes(bytes: UnsafeRawBufferPointer(rebasing: raw[tlvStart...]))
                        .first(UInt16(NLMSGERR_ATTR_MSG.rawValue))?.string
                }
            }
            return (original, -error, extack)
        }
    }

    struct Iterator: IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        var offset = 0
        mutating func next() -> Message? {
            guard offset + 16 <= bytes.count else { return nil }
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            guard length >= 16, offset + length <= bytes.count else { return nil }
            // Safety: the whole message lies inside `bytes` (both checks above).
            let message = Message(
                type: bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self),
                flags: bytes.loadUnaligned(fromByteOffset: offset + 6, as: UInt16.self),
                sequence: bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self),
                // Safety: inside `bytes`, checked above.
                raw: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]))
            offset += (length + 3) & ~3
            return message
        }
    }

    func makeIterator() -> Iterator { Iterator(bytes: bytes) }
}

extension Duration {
    /// The duration in seconds (for timings and metrics).
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
