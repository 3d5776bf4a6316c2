/// The ports each hypervisor profile must protect, as DESIGN.md's table gives them: the
/// packet tests check migfw against the design, not against its own profile files.
/// Ranges are probed at their first, a middle and their last port.
struct PacketProfile: Sendable, CustomStringConvertible {
    var name: String
    var ports: [UInt16]
    var description: String { name }

    static let all: [PacketProfile] = [
        PacketProfile(name: "hyperv", ports: [6600]),
        PacketProfile(name: "libvirt", ports: [49152, 49183, 49215, 16509, 16514]),
        PacketProfile(name: "proxmox", ports: [60000, 60025, 60050, 22]),
        PacketProfile(name: "vmware", ports: [8000]),
        PacketProfile(name: "xen", ports: [8002, 8003]),
        // testbed.sh gives the custom profile's policy `ports: ["7000-7010", "7777"]`.
        PacketProfile(name: "custom", ports: [7000, 7005, 7010, 7777]),
    ]

    /// A port no profile uses: open in non-dedicated mode, closed to untrusted peers in
    /// dedicated mode.
    static let otherPort: UInt16 = 8080
}
