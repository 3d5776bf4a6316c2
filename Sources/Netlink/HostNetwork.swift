import Glibc
import Prefix

/// Facts about the current network namespace's interfaces that apply-time safety checks need.
public enum HostNetwork {
    /// The addresses assigned to interface `name` (getifaddrs(3)).
    public static func addresses(of name: String) -> [AnyCIDR] {
        assignedAddresses().filter { $0.interface == name }.map(\.address)
    }

    /// One address assigned to an interface, with the length of the subnet it was assigned in.
    public struct AssignedAddress: Sendable, Hashable {
        public var interface: String
        /// The address itself, a host prefix.
        public var address: AnyCIDR
        /// The netmask's length (`24` for 192.168.60.5/24).
        public var prefixLength: Int
    }

    /// Every address of every interface of the current network namespace (getifaddrs(3)).
    public static func assignedAddresses() -> [AssignedAddress] {
        var head: UnsafeMutablePointer<ifaddrs>?
        // Safety: getifaddrs allocates the list; it is walked read-only and freed once below.
        guard getifaddrs(&head) == 0 else { return [] }
        defer { freeifaddrs(head) }
        var result: [AssignedAddress] = []
        var cursor = head
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let namePointer = entry.pointee.ifa_name, let address = entry.pointee.ifa_addr,
                  let host = hostPrefix(address) else { continue }
            let length = entry.pointee.ifa_netmask.flatMap(hostPrefix).map(maskLength) ?? (host.family == .ipv4 ? 32 : 128)
            result.append(AssignedAddress(interface: String(cString: namePointer), address: host, prefixLength: length))
        }
        return result
    }

    /// The IPv4 or IPv6 address in `address` as a host prefix; nil for other families.
    private static func hostPrefix(_ address: UnsafeMutablePointer<sockaddr>) -> AnyCIDR? {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            // Safety: sa_family says this sockaddr is a sockaddr_in.
            let bits = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                UInt32(bigEndian: $0.pointee.sin_addr.s_addr)
            }
            return .v4(CIDR(host: IPv4Address(bits: bits)))
        case AF_INET6:
            // Safety: sa_family says this sockaddr is a sockaddr_in6.
            let bits = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin6_addr) { bytes in
                    bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
                }
            }
            return .v6(CIDR(host: IPv6Address(bits: bits)))
        default:
            return nil
        }
    }

    /// The number of leading one bits of a netmask.
    private static func maskLength(_ mask: AnyCIDR) -> Int {
        switch mask {
        case .v4(let cidr): cidr.address.bits.leadingZeroBitCount == 0 ? (~cidr.address.bits).leadingZeroBitCount : 0
        case .v6(let cidr): cidr.address.bits.leadingZeroBitCount == 0 ? (~cidr.address.bits).leadingZeroBitCount : 0
        }
    }

    /// The interfaces that carry a default route, IPv4 or IPv6 (from /proc/thread-self/net,
    /// which follows the calling thread's network namespace, also after a per-thread setns).
    public static func defaultRouteInterfaces() -> Set<String> {
        var names = Set<String>()
        for line in readLines("/proc/thread-self/net/route").dropFirst() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            // Iface Destination Gateway Flags RefCnt Use Metric Mask ...
            if fields.count >= 8, fields[1] == "00000000", fields[7] == "00000000" {
                names.insert(String(fields[0]))
            }
        }
        for line in readLines("/proc/thread-self/net/ipv6_route") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // dest destlen src srclen nexthop metric refcnt use flags iface
            if fields.count >= 10, fields[0].allSatisfy({ $0 == "0" }), fields[1] == "00", fields[9] != "lo" {
                names.insert(String(fields[9]))
            }
        }
        return names
    }

    private static func readLines(_ path: String) -> [Substring] {
        guard let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var text = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            text.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: text, as: UTF8.self).split(separator: "\n")
    }
}
