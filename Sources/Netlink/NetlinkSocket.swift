import CNftnl
import Glibc

/// One `NETLINK_NETFILTER` socket (libmnl), owned here and closed in exactly one place.
///
/// Extended ACKs (the kernel's explanation of a failure) and capped ACKs (no copy of the
/// request in every ACK) are switched on at open.
final class NetlinkSocket {
    private let socket: OpaquePointer
    private var sendBufferSize = 0
    private var receiveBufferSize = 0

    init() throws {
        guard let socket = mnl_socket_open(NETLINK_NETFILTER) else {
            let code = errno
            if code == EPERM || code == EACCES { throw NetlinkError.permissionDenied(operation: "open netlink socket") }
            throw NetlinkError.system(call: "mnl_socket_open", errno: code)
        }
        guard mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            let code = errno
            mnl_socket_close(socket)
            throw NetlinkError.system(call: "mnl_socket_bind", errno: code)
        }
        // Without capped ACKs every error ACK carries a copy of the request (a large batch
        // overflows the receive buffer); without extended ACKs errors lose their reason.
        // Both exist since Linux 4.x: a failure here is a real problem, not a missing feature.
        for (option, name) in [(NETLINK_EXT_ACK, "NETLINK_EXT_ACK"), (NETLINK_CAP_ACK, "NETLINK_CAP_ACK")] {
            var on: Int32 = 1
            // Safety: `on` outlives the call; the length passed is its size.
            guard mnl_socket_setsockopt(socket, option, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                let code = errno
                mnl_socket_close(socket)
                throw NetlinkError.system(call: "setsockopt(\(name))", errno: code)
            }
        }
        // Set last: once every property is set, a throw would also run deinit (a double close).
        self.socket = socket
    }

    deinit { mnl_socket_close(socket) }

    private var fd: Int32 { mnl_socket_get_fd(socket) }
    var descriptor: Int32 { fd }

    /// Grows the kernel's buffers so a whole batch fits in one `sendmsg` and every ACK fits
    /// in the receive queue. The FORCE variants (CAP_NET_ADMIN) pass `wmem_max`/`rmem_max`.
    func reserve(sendBytes: Int, receiveBytes: Int) throws {
        if sendBytes > sendBufferSize {
            try setBuffer(SO_SNDBUFFORCE, SO_SNDBUF, bytes: sendBytes)
            sendBufferSize = sendBytes
        }
        if receiveBytes > receiveBufferSize {
            try setBuffer(SO_RCVBUFFORCE, SO_RCVBUF, bytes: receiveBytes)
            receiveBufferSize = receiveBytes
        }
    }

    private func setBuffer(_ forced: Int32, _ plain: Int32, bytes: Int) throws {
        var size = Int32(clamping: bytes)
        // Safety: `size` outlives the call; the length passed is its size.
        if setsockopt(fd, SOL_SOCKET, forced, &size, socklen_t(MemoryLayout<Int32>.size)) == 0 { return }
        let code = errno
        if setsockopt(fd, SOL_SOCKET, plain, &size, socklen_t(MemoryLayout<Int32>.size)) == 0 { return }
        throw NetlinkError.system(call: "setsockopt(SO_SNDBUFFORCE/SO_RCVBUFFORCE, \(bytes))", errno: code)
    }

    /// Sends `bytes` in ONE sendmsg: a batch split across two sends never commits.
    func send(_ bytes: UnsafeRawBufferPointer) throws {
        // Safety: the buffer is valid for its count for the duration of the call.
        let sent = mnl_socket_sendto(socket, bytes.baseAddress, bytes.count)
        guard sent >= 0 else {
            let code = errno
            if code == EPERM { throw NetlinkError.permissionDenied(operation: "send to nf_tables") }
            throw NetlinkError.system(call: "sendmsg (\(bytes.count) bytes)", errno: code)
        }
        guard sent == bytes.count else {
            throw NetlinkError.system(call: "sendmsg sent \(sent) of \(bytes.count) bytes", errno: EMSGSIZE)
        }
    }

    /// Receives every datagram already queued, up to one per `slotSize` bytes of `buffer`,
    /// in one `recvmmsg` (waiting for the first): where each landed in `buffer`. A request
    /// answered by one datagram per element (lookups) costs one system call per round of
    /// datagrams instead of one per element. A datagram longer than `slotSize` is an error
    /// (nf_tables' largest, a dump reply, is under 32 KiB).
    func receiveQueued(into buffer: UnsafeMutableRawBufferPointer, slotSize: Int) throws -> [Range<Int>] {
        let slots = buffer.count / slotSize
        var vectors = [iovec](repeating: iovec(), count: slots)
        var headers = [migfw_mmsghdr](repeating: migfw_mmsghdr(), count: slots)
        let received: Int32 = vectors.withUnsafeMutableBufferPointer { vectors in
            for slot in 0..<slots {
                // Safety: each slot is a distinct `slotSize` range inside `buffer`.
                vectors[slot] = iovec(iov_base: buffer.baseAddress! + slot * slotSize, iov_len: slotSize)
                headers[slot].msg_hdr.msg_iov = vectors.baseAddress! + slot
                headers[slot].msg_hdr.msg_iovlen = 1
            }
            while true {
                // Safety: `headers` point into `vectors` and `buffer`, all alive for the call.
                let count = migfw_recv_queued(fd, &headers, UInt32(slots))
                if count >= 0 || errno != EINTR { return count }
            }
        }
        guard received >= 0 else { throw NetlinkError.system(call: "recvmmsg", errno: errno) }
        return try (0..<Int(received)).map { slot in
            guard headers[slot].msg_hdr.msg_flags & Int32(MSG_TRUNC) == 0 else {
                throw NetlinkError.malformedReply("a reply longer than \(slotSize) bytes")
            }
            return (slot * slotSize)..<(slot * slotSize + Int(headers[slot].msg_len))
        }
    }

    /// Receives one datagram into `buffer`; returns its length, or nil when nothing is queued
    /// and `wait` is false.
    func receive(into buffer: UnsafeMutableRawBufferPointer, wait: Bool) throws -> Int? {
        while true {
            // Safety: recv writes at most `buffer.count` bytes into memory the caller owns.
            let count = recv(fd, buffer.baseAddress, buffer.count, wait ? 0 : Int32(MSG_DONTWAIT))
            if count >= 0 { return count }
            let code = errno
            if code == EINTR { continue }
            if !wait && (code == EAGAIN || code == EWOULDBLOCK) { return nil }
            throw NetlinkError.system(call: "recv", errno: code)
        }
    }
}
