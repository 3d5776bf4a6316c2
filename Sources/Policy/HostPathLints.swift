/// The lints of host mode's other paths: the NICs that are not migration NICs. QEMU,
/// libvirtd and Proxmox listen on every address by default, so a port left open there takes
/// migration from anyone who reaches that NIC.
extension PolicyLinter {
    static func otherInterfaces(_ policy: Policy) -> [Finding] {
        guard policy.mode == .host else { return [] }
        let nics = policy.interfaces.map(\.value).joined(separator: ", ")
        let migrationOnly = policy.migrationOnlyPorts
        if let opened = policy.otherInterfaces, opened.value == .open, !migrationOnly.isEmpty {
            return [Finding(
                id: "other-interfaces-open", severity: .warning, location: opened.location,
                message: "other_interfaces: open leaves the migration ports \(list(migrationOnly)) open on every NIC but \(nics): anyone who reaches another NIC (the management network included) can migrate a VM onto this host",
                hint: "remove it (the default, drop, closes them there), or set the hypervisor's migration address to the migration NIC's (libvirt: migration_address in qemu.conf)")]
        }
        if migrationOnly.isEmpty && !policy.migrationPorts.isEmpty {
            return [Finding(
                id: "no-migration-only-ports", severity: .warning, location: policy.profile.location,
                message: "every migration port of this policy is marked shared, so none is closed on the NICs that are not \(nics): migration is filtered on \(nics) only",
                hint: "mark as shared only ports that other NICs really carry (a service besides migration)")]
        }
        return []
    }

    private static func list(_ ports: [MigrationPort]) -> String {
        ports.map { $0.transport == .tcp ? "\($0.range)" : "\($0)" }.joined(separator: ", ")
    }
}
