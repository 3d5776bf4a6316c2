import Netlink
import Prefix

/// The addresses a network namespace's interfaces hold, for `migfw audit`.
public enum AssignedAddresses {
    /// Every address of every interface in `namespace` (`/run/netns/NAME`; nil: the current
    /// one), with its subnet's prefix length.
    public static func read(namespace: String?) throws -> [(interface: String, address: AnyCIDR, prefixLength: Int)] {
        try NetworkNamespace.run(in: namespace) {
            HostNetwork.assignedAddresses().map { ($0.interface, $0.address, $0.prefixLength) }
        }
    }
}
