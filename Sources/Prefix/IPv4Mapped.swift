extension CIDR where Address == IPv6Address {
    /// The IPv4 prefix this one stands for when it lies inside the IPv4-mapped block
    /// `::ffff:0:0/96` (`::ffff:10.0.0.0/104` is `10.0.0.0/8`); nil otherwise.
    ///
    /// Mapped addresses never appear in IPv6 packet headers, so a firewall rule written with
    /// one silently matches nothing; callers use this to point at the IPv4 form.
    public var ipv4Mapped: CIDR<IPv4Address>? {
        guard length >= 96, address.bits >> 32 == 0xffff else { return nil }
        return CIDR<IPv4Address>(masking: IPv4Address(bits: UInt32(truncatingIfNeeded: address.bits)),
                                 length: length - 96)
    }
}

extension AnyCIDR {
    /// An IPv4-mapped IPv6 prefix as its IPv4 form (see ``CIDR/ipv4Mapped``); nil for
    /// anything else, including plain IPv4.
    public var ipv4Mapped: CIDR<IPv4Address>? {
        if case .v6(let prefix) = self { return prefix.ipv4Mapped }
        return nil
    }
}
