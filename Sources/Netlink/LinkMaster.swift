import Glibc

/// The device an interface is enslaved to (a bridge, a bond, a team, a VRF), read with
/// rtnetlink (`RTM_GETLINK`, `IFLA_MASTER`) in the calling thread's network namespace.
///
/// A migration NIC that is a port of a bridge or a slave of a bond does not carry IP traffic
/// under its own name: the kernel hands the packets to the IP stack with the master as their
/// input interface, so rules that match the port by name never see them.
public struct LinkMaster: Hashable, Sendable {
    /// The master's name (`br0`, `bond0`, `vrf-mig`).
    public var name: String
    /// Its kind as the kernel names it (`bridge`, `bond`, `team`, `vrf`); nil if not told.
    public var kind: String?

    public init(name: String, kind: String?) {
        self.name = name
        self.kind = kind
    }

    /// The master of interface `name` in the calling thread's namespace; nil when the
    /// interface has none or does not exist. Throws when rtnetlink cannot be asked.
    public static func of(_ name: String) throws -> LinkMaster? {
        guard let index = NetworkNamespace.interfaceIndex(name),
              let link = try LinkQuery.link(index: index), let masterIndex = link.master else { return nil }
        let master = try LinkQuery.link(index: masterIndex)
        return LinkMaster(name: master?.name ?? "index \(masterIndex)", kind: master?.kind)
    }
}

/// What kind of device an interface is or sits on, as the kernel names it (`bridge`, `vlan`,
/// `veth`).
public enum LinkKind {
    /// Whether interface `name` is a bridge or sits on one (a VLAN or macvlan device whose
    /// lower device is, through any number of such layers, a bridge: `vmbr0.50`), so that
    /// its frames cross the bridge family's hooks. A veth's link is its peer, not a lower
    /// device, and a link in another namespace is not followed.
    public static func onBridge(_ name: String) throws -> Bool {
        guard var index = NetworkNamespace.interfaceIndex(name) else { return false }
        for _ in 0..<8 {
            guard let link = try LinkQuery.link(index: index) else { return false }
            if link.kind == "bridge" { return true }
            guard link.kind != "veth", !link.lowerInOtherNamespace, let lower = link.lower, lower != index else { return false }
            index = lower
        }
        return false
    }
}

/// One `RTM_GETLINK` request and its reply, on a NETLINK_ROUTE socket of its own.
enum LinkQuery {
    struct Link {
        var name: String?
        var master: UInt32?
        var kind: String?
        /// The lower device's index (IFLA_LINK: a VLAN's parent, a veth's peer).
        var lower: UInt32?
        /// IFLA_LINK names a device of another namespace (IFLA_LINK_NETNSID is present).
        var lowerInOtherNamespace = false
    }

    // <linux/rtnetlink.h>, <linux/if_link.h>
    private static let rtmNewLink: UInt16 = 16
    private static let rtmGetLink: UInt16 = 18
    private static let iflaIfname: UInt16 = 3
    private static let iflaLink: UInt16 = 5
    private static let iflaMaster: UInt16 = 10
    private static let iflaLinkNetnsid: UInt16 = 37
    private static let iflaLinkinfo: UInt16 = 18
    private static let iflaInfoKind: UInt16 = 1
    private static let netlinkRoute: Int32 = 0  // NETLINK_ROUTE, <linux/netlink.h>
    private static let requestFlag: UInt16 = 1  // NLM_F_REQUEST
    private static let errorType: UInt16 = 2    // NLMSG_ERROR
    private static let headerSize = 16      // struct nlmsghdr
    private static let ifinfoSize = 16      // struct ifinfomsg

    /// The link with interface index `index`; nil if the kernel says there is none.
    static func link(index: UInt32) throws -> Link? {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkRoute)
        guard fd >= 0 else { throw NetlinkError.system(call: "socket(NETLINK_ROUTE)", errno: errno) }
        defer { close(fd) }

        var request = [UInt8](repeating: 0, count: headerSize + ifinfoSize)
        put32(&request, 0, UInt32(request.count))                   // nlmsg_len
        put16(&request, 4, rtmGetLink)                              // nlmsg_type
        put16(&request, 6, requestFlag)                             // nlmsg_flags
        put32(&request, 8, 1)                                       // nlmsg_seq
        request[headerSize] = UInt8(AF_UNSPEC)                      // ifi_family
        put32(&request, headerSize + 4, index)                      // ifi_index
        // Safety: send reads `count` bytes of the array's storage, alive for the call.
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == request.count else { throw NetlinkError.system(call: "send(RTM_GETLINK)", errno: errno) }

        // One request without NLM_F_DUMP or NLM_F_ACK on a fresh socket: the kernel answers
        // with exactly one message, RTM_NEWLINK or NLMSG_ERROR.
        var reply = [UInt8](repeating: 0, count: 32768)
        var received: Int
        repeat {
            // Safety: recv writes at most `count` bytes into the array's storage, alive for the call.
            received = reply.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        } while received < 0 && errno == EINTR
        guard received >= headerSize else {
            throw NetlinkError.system(call: "recv(RTM_GETLINK)", errno: received < 0 ? errno : EBADMSG)
        }
        // Safety: the slice lies inside the array (received <= its count); read only here.
        return try reply.withUnsafeBytes { bytes in
            try parse(UnsafeRawBufferPointer(rebasing: bytes[0..<received]))
        }
    }

    /// The first message of a reply: RTM_NEWLINK's attributes, or NLMSG_ERROR's errno.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> Link? {
        guard bytes.count >= headerSize else { throw NetlinkError.malformedReply("RTM_GETLINK: short reply") }
        // Safety: the 16-byte header lies inside `bytes` (checked); unaligned loads of plain bytes.
        let length = Int(bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        let type = bytes.loadUnaligned(fromByteOffset: 4, as: UInt16.self)
        guard length >= headerSize, length <= bytes.count else {
            throw NetlinkError.malformedReply("RTM_GETLINK: message length \(length) of \(bytes.count) bytes")
        }
        if type == errorType {
            guard length >= headerSize + 4 else { throw NetlinkError.malformedReply("RTM_GETLINK: short error") }
            // Safety: the error code lies inside the message (checked just above).
            let code = -bytes.loadUnaligned(fromByteOffset: headerSize, as: Int32.self)
            if code == ENODEV { return nil }
            guard code > 0 else { throw NetlinkError.malformedReply("RTM_GETLINK: an acknowledgement instead of the link") }
            throw NetlinkError.kernel(operation: "RTM_GETLINK", errno: code, extack: nil)
        }
        guard type == rtmNewLink, length >= headerSize + ifinfoSize else {
            throw NetlinkError.malformedReply("RTM_GETLINK: unexpected message type \(type)")
        }
        let attributes = Attributes(bytes: UnsafeRawBufferPointer(rebasing: bytes[(headerSize + ifinfoSize)..<length]))
        var link = Link()
        for attribute in attributes {
            switch attribute.type {
            case iflaIfname: link.name = attribute.string
            case iflaMaster:
                link.master = hostOrderU32(attribute)
            case iflaLink:
                link.lower = hostOrderU32(attribute)
            case iflaLinkNetnsid:
                link.lowerInOtherNamespace = true
            case iflaLinkinfo:
                link.kind = attribute.nested.first(iflaInfoKind)?.string
            default: break
            }
        }
        if link.master == 0 { link.master = nil }
        if link.lower == 0 { link.lower = nil }
        return link
    }

    /// A 32-bit attribute in host byte order (rtnetlink's, unlike nf_tables' attributes).
    private static func hostOrderU32(_ attribute: Attributes.Attribute) -> UInt32? {
        guard attribute.payload.count >= 4 else { return nil }
        // Safety: four bytes are there (checked); unaligned load of plain bytes.
        return attribute.payload.loadUnaligned(as: UInt32.self)
    }

    private static func put16(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt16) {
        // Safety: reads the two bytes of a local value.
        withUnsafeBytes(of: value) { for i in 0..<2 { bytes[offset + i] = $0[i] } }
    }

    private static func put32(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt32) {
        // Safety: reads the four bytes of a local value.
        withUnsafeBytes(of: value) { for i in 0..<4 { bytes[offset + i] = $0[i] } }
    }
}
