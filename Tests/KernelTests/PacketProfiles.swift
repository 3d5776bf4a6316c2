/// The ports each hypervisor profile must protect, as DESIGN.md's table gives them: the
/// packet tests check migfw against the design, not against its own profile files.
/// Ranges are probed at their first, a middle and their last port.
struct PacketProfile: Sendable, CustomStringConvertible {
    var name: String
    var ports: [UInt16]
    /// The policy's `performance:` option, for profiles whose ports depend on it.
    var performance: String? = nil
    /// The ports that are shared services (issue #19's list): open on the other NICs, where
    /// every other migration port is closed.
    var shared: [UInt16] = []
    var description: String { name + (performance.map { " (performance: \($0))" } ?? "") }

    static let all: [PacketProfile] = [
        PacketProfile(name: "hyperv", ports: [6600]),
        // Memory copied over SMB: TCP 445 joins 6600.
        PacketProfile(name: "hyperv", ports: [6600, 445], performance: "smb", shared: [445]),
        PacketProfile(name: "libvirt", ports: [49152, 49183, 49215, 16509, 16514], shared: [16509, 16514]),
        PacketProfile(name: "proxmox", ports: [60000, 60025, 60050, 22], shared: [22]),
        PacketProfile(name: "vmware", ports: [8000]),
        PacketProfile(name: "xen", ports: [8002, 8003]),
        // testbed.sh gives the custom profile's policy `ports: ["7000-7010", "7777"]`.
        PacketProfile(name: "custom", ports: [7000, 7005, 7010, 7777]),
    ]

    /// A port no profile uses: open in non-dedicated mode, closed to untrusted peers in
    /// dedicated mode.
    static let otherPort: UInt16 = 8080
}
