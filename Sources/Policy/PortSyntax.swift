/// Port entries as a policy or profile writes them: `6600`, `49152-49215`, and with a
/// protocol, `udp/5000` or `tcp/16509`. Without a protocol a port is TCP, since every
/// hypervisor migration stream migfw knows runs over TCP.
enum PortSyntax {
    struct Problem: Error {
        let message: String
        /// Scalar offset in the text where the problem starts.
        let offset: Int
        let hint: String?
    }

    static func parse(_ text: String) -> Result<MigrationPort, Problem> {
        var transport = TransportProtocol.tcp
        var body = Substring(text)
        var offset = 0
        if let slash = text.firstIndex(of: "/") {
            let name = String(text[..<slash])
            guard let parsed = TransportProtocol(rawValue: name) else {
                return .failure(Problem(message: "'\(name)' is not a protocol", offset: 0,
                                        hint: "write tcp/PORT or udp/PORT"))
            }
            transport = parsed
            body = text[text.index(after: slash)...]
            offset = name.unicodeScalars.count + 1
        }
        let parts = body.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let lower = port(parts[0]) else {
            return .failure(notAPort(parts[0], in: body, offset: offset))
        }
        var upper = lower
        if parts.count == 2 {
            guard let parsed = port(parts[1]) else {
                return .failure(notAPort(parts[1], in: body, offset: offset + parts[0].unicodeScalars.count + 1))
            }
            upper = parsed
        }
        guard let range = PortRange(lower: lower, upper: upper) else {
            return .failure(Problem(message: "port range \(lower)-\(upper) runs backwards", offset: offset,
                                    hint: "write the lower port first: \(upper)-\(lower)"))
        }
        return .success(MigrationPort(transport, range))
    }

    private static func notAPort(_ text: Substring, in entry: Substring, offset: Int) -> Problem {
        // `-1` or `1-`: quoting the empty side ('') would say nothing useful.
        if text.isEmpty {
            return Problem(message: "'\(entry)' is not a port or port range: a port is missing beside '-'", offset: offset,
                           hint: "write a port as 6600, a range as 49152-49215, a protocol as udp/5000")
        }
        return Problem(message: "'\(text)' is not a port number (1-65535)", offset: offset,
                hint: "write a port as 6600, a range as 49152-49215, a protocol as udp/5000")
    }

    private static func port(_ text: Substring) -> UInt16? {
        guard let value = NodeReader.decimal(String(text)), (1...65535).contains(value) else { return nil }
        return UInt16(value)
    }
}

/// Linux network interface names, as the kernel's `dev_valid_name` checks them.
enum InterfaceName {
    /// Why `name` is not a valid interface name, or nil when it is.
    static func problem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty { return "an interface name cannot be empty" }
        // IFNAMSIZ is 16 including the terminating NUL.
        if bytes.count > 15 { return "'\(name)' is \(bytes.count) bytes; an interface name has at most 15" }
        if name == "." || name == ".." { return "'\(name)' is not a valid interface name" }
        if bytes.contains(UInt8(ascii: "/")) { return "'\(name)' contains '/', which an interface name cannot" }
        if bytes.contains(UInt8(ascii: ":")) { return "'\(name)' contains ':', which an interface name cannot (the kernel reserves it for aliases)" }
        // The kernel's isspace(): space, \t, \n, \v, \f, \r.
        if bytes.contains(where: { $0 == 0x20 || (0x09...0x0d).contains($0) }) {
            return "'\(name)' contains whitespace, which an interface name cannot"
        }
        if bytes.contains(0) { return "an interface name cannot contain a NUL byte" }
        // The kernel takes almost any byte, but migfw writes the name into nft text (where `"`
        // ends the string and `*` is a wildcard) and compares it byte for byte over netlink.
        // Real NIC names (udev, systemd, VLANs, bonds, veths) use only this set.
        if let bad = name.unicodeScalars.first(where: { !allowed($0) }) {
            return "'\(name)' contains '\(bad)', which migfw does not accept in an interface name"
        }
        return nil
    }

    /// ASCII letters, digits, `-`, `_` and `.`.
    private static func allowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".": true
        default: false
        }
    }
}
