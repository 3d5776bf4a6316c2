/// The lints of host mode's other paths: the NICs that are not migration NICs. QEMU,
/// libvirtd and Proxmox listen on every address by default, so a port left open there takes
/// migration from anyone who reaches that NIC.
extension PolicyLinter {
    static func otherInterfaces(_ policy: Policy) -> [Finding] {
        let nics = policy.interfaces.map(\.value).joined(separator: ", ")
        let migrationOnly = policy.migrationOnlyPorts
        if policy.mode == .gateway {
            guard migrationOnly.isEmpty, !policy.migrationPorts.isEmpty else { return sharedMigrationPorts(policy) }
            return [Finding(
                id: "no-migration-only-ports", severity: .warning, location: policy.profile.location,
                message: "every migration port of this policy is marked shared, so the gateway guards the protected sets' listed addresses only: the hosts' other addresses (link-local, SLAAC, privacy, an unlisted IP version) and this gateway's own connections pass them",
                hint: "mark as shared only ports that other paths really carry (a service besides migration)")]
        }
        guard policy.mode == .host else { return [] }
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
        return policy.otherInterfacesPolicy == .drop ? sharedMigrationPorts(policy) : []
    }

    /// A policy's `shared` entry that takes ports the profile marks migration-only (a part of
    /// a range is enough): they are no longer closed where only migration reaches them.
    static func sharedMigrationPorts(_ policy: Policy) -> [Finding] {
        let profile = policy.profile.value
        return policy.shared.compactMap { entry -> Finding? in
            let cuts = profile.shared.filter { $0.transport == entry.value.transport }.map(\.range)
            let onlyMigration = profile.ports.filter { $0.transport == entry.value.transport }
                .flatMap { $0.range.subtracting(cuts) }
            let ports = onlyMigration.compactMap { range -> MigrationPort? in
                PortRange(lower: max(range.lower, entry.value.range.lower), upper: min(range.upper, entry.value.range.upper))
                    .map { MigrationPort(entry.value.transport, $0) }
            }
            guard !ports.isEmpty else { return nil }
            let opened = policy.mode == .gateway
                ? "the gateway guards them on the protected sets' listed addresses only, not on the hosts' other addresses nor for its own connections"
                : "they stay open on every NIC but \(policy.interfaces.map(\.value).joined(separator: ", ")), where QEMU and the hypervisor listen by default"
            return Finding(
                id: "shared-migration-ports", severity: .warning, location: entry.location,
                message: "shared: \(entry.value) takes the \(profile.name) profile's migration-only port(s) \(list(ports)): \(opened)",
                hint: "mark as shared only ports another service needs on those paths; the profile's shared ports are \(profile.shared.isEmpty ? "none" : list(profile.shared.sorted()))")
        }
    }

    /// SSH's port among the migration-only ones would be closed on the management NICs by
    /// every apply, reconcile and boot, where no SSH session is there to guard: an error.
    static let sshPort: UInt16 = 22

    static func sshClosedElsewhere(_ policy: Policy) -> [Finding] {
        // A gateway's own chains and its protected side are guarded on the migration-only
        // ports too: its admin's SSH would be cut.
        guard policy.mode == .gateway || policy.otherInterfacesPolicy == .drop,
              policy.migrationOnlyPorts.contains(where: { $0.coversTCP(sshPort) })
        else { return [] }
        let location = policy.ports.first { $0.value.coversTCP(sshPort) }?.location ?? policy.profile.location
        let nics = policy.interfaces.map(\.value).joined(separator: ", ")
        let message = policy.mode == .gateway
            ? "TCP 22 (SSH) is a migration-only port of this policy: the gateway's own SSH to the hosts behind \(nics), and theirs to it, would pass from trusted addresses only"
            : "TCP 22 (SSH) is a migration-only port of this policy: it would be closed on every NIC but \(nics), the management network's SSH included"
        return [Finding(
            id: "ssh-closed-elsewhere", severity: .error, location: location, message: message,
            hint: "mark it shared ('shared: [22]'), as the proxmox profile does" + (policy.mode == .host ? ", or set 'other_interfaces: open'" : ""))]
    }

    private static func list(_ ports: [MigrationPort]) -> String {
        ports.map { $0.transport == .tcp ? "\($0.range)" : "\($0)" }.joined(separator: ", ")
    }
}
