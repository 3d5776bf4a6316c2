import Policy
import Prefix

/// qemu.conf's migration settings against the policy: TLS forced and verified, the listener
/// on the migration NIC, the port range inside the one the firewall guards.
struct QemuMigrationAudit {
    let context: AuditContext
    let file: LibvirtFile

    /// libvirt's built-in migration port range (qemu.conf.in).
    static let defaultPorts: ClosedRange<Int64> = 49152...49215

    func run(into findings: inout [AuditFinding]) {
        checkTLSForced(&findings)
        checkTLSVerified(&findings)
        checkListenAddress(&findings)
        checkMigrationHost(&findings)
        checkPorts(&findings)
    }

    private func finding(_ id: String, _ severity: Severity, _ setting: String, line: Int? = nil,
                         _ message: String, fix: String) -> AuditFinding {
        AuditFinding(id: id, severity: severity, file: file.shown, line: line ?? file.line(of: setting),
                     setting: setting, message: message, fix: fix)
    }

    // Rule 1: libvirt checks migrate_tls_force on the source only, so every host needs it.
    private func checkTLSForced(_ findings: inout [AuditFinding]) {
        let forced = file.boolean("migrate_tls_force", into: &findings)
        // Set to something libvirt refuses: that finding is already there.
        if file.conf.entry("migrate_tls_force") != nil, forced == nil { return }
        guard forced != true else { return }
        let state = forced == false ? "migrate_tls_force = 0" : "migrate_tls_force is not set (default 0)"
        let authentication = context.policy.authentication?.value
        let severity: Severity = switch authentication {
        case .tls: .error
        case .none?: .info
        default: .warning
        }
        let claim = switch authentication {
        case .tls: "the policy says authentication: tls, but \(state): a migration started without --tls runs in plaintext"
        case .none?: "\(state): migrations may run in plaintext, as the policy's authentication: none accepts"
        default: "\(state): a migration started without --tls runs in plaintext, memory and secrets included"
        }
        findings.append(finding("migrate-tls-not-forced", severity, "migrate_tls_force", claim,
                                fix: "set migrate_tls_force = 1 on every host (libvirt checks it where a migration starts) and give each host its migration certificates"))
    }

    // Rules 1 and 3: without client certificate checks, any TLS client may push a VM.
    private func checkTLSVerified(_ findings: inout [AuditFinding]) {
        let own = file.boolean("migrate_tls_x509_verify", into: &findings)
        let inherited = file.boolean("default_tls_x509_verify", into: &findings)
        if own == false {
            findings.append(finding("migrate-tls-verify-off", .error, "migrate_tls_x509_verify",
                                    "migrate_tls_x509_verify = 0: an incoming TLS migration is accepted from any client, with no certificate",
                                    fix: "set migrate_tls_x509_verify = 1 (or remove it: the default is 1)"))
        } else if own == nil, file.conf.entry("migrate_tls_x509_verify") == nil, inherited == false {
            findings.append(finding("migrate-tls-verify-off", .error, "default_tls_x509_verify",
                                    "default_tls_x509_verify = 0 and no migrate_tls_x509_verify: migration inherits it, and an incoming TLS migration is accepted from any client",
                                    fix: "set migrate_tls_x509_verify = 1, or default_tls_x509_verify = 1"))
        }
    }

    // Rule 2: the incoming migration listener belongs on the migration NIC.
    private func checkListenAddress(_ findings: inout [AuditFinding]) {
        let setting = "migration_address"
        let fixOnNIC = "set migration_address to the address of \(context.interfaceNames) (\(nicAddresses))"
        guard let entry = file.conf.entry(setting) else {
            findings.append(finding("migration-address-any", .warning, setting,
                                    "migration_address is not set: QEMU's incoming migration listens on every NIC (0.0.0.0 or ::)",
                                    fix: fixOnNIC))
            return
        }
        guard let value = file.string(setting, into: &findings) else { return }
        let shown = "\(setting) = \(entry.value.shown)"
        if value == "0.0.0.0" || value == "::" || value == "[::]" {
            findings.append(finding("migration-address-any", .warning, setting, line: entry.line,
                                    "\(shown): QEMU's incoming migration listens on every NIC", fix: fixOnNIC))
            return
        }
        if value.lowercased().hasPrefix("localhost") || isLoopback(value) {
            findings.append(finding("invalid-value", .error, setting, line: entry.line,
                                    "\(shown): libvirt refuses to start (migration_address must not be the local machine's address)",
                                    fix: fixOnNIC))
            return
        }
        guard let address = try? PrefixParser.parse(Self.unbracketed(value)), address.isHost else {
            findings.append(finding("migration-address-name", .warning, setting, line: entry.line,
                                    "\(shown) is not an IP address: the audit does not resolve names, so it cannot tell whether it is on \(context.interfaceNames)",
                                    fix: fixOnNIC))
            return
        }
        if context.isOnMigrationInterface(address) == false {
            findings.append(finding("migration-address-elsewhere", .error, setting, line: entry.line,
                                    "\(shown) is not an address of the migration NIC \(context.interfaceNames) (\(nicAddresses)): migration arrives on another network, where migfw does not let it in",
                                    fix: fixOnNIC))
        }
    }

    // Rule 2: where the source connects; unset means whatever the hostname resolves to.
    private func checkMigrationHost(_ findings: inout [AuditFinding]) {
        let setting = "migration_host"
        guard file.conf.entry(setting) != nil else {
            findings.append(finding("migration-host-unset", .info, setting,
                                    "migration_host is not set: peers reach this host at whatever its hostname resolves to, often the management network",
                                    fix: "set migration_host to this host's address on \(context.interfaceNames), or pass --migrateuri per migration"))
            return
        }
        guard let value = file.string(setting, into: &findings),
              let address = try? PrefixParser.parse(Self.unbracketed(value)), address.isHost else { return }
        if context.isOnMigrationInterface(address) == false {
            findings.append(finding("migration-host-elsewhere", .warning, setting,
                                    "migration_host = \"\(Excerpt.quoted(value))\" is not an address of \(context.interfaceNames): peers send migrations to another network",
                                    fix: "set migration_host to this host's address on \(context.interfaceNames) (\(nicAddresses))"))
        }
    }

    // Rule 3's consistency: the firewall must guard the ports QEMU really uses.
    private func checkPorts(_ findings: inout [AuditFinding]) {
        let minimum = file.number("migration_port_min", maximum: 65535, into: &findings)
        let maximum = file.number("migration_port_max", maximum: 65535, into: &findings)
        if file.conf.entry("migration_port_min") != nil, minimum == nil { return }
        if file.conf.entry("migration_port_max") != nil, maximum == nil { return }
        let lower = minimum ?? Self.defaultPorts.lowerBound
        let upper = maximum ?? Self.defaultPorts.upperBound
        let decidingSetting = maximum != nil && minimum == nil ? "migration_port_max" : "migration_port_min"
        guard lower > 0, upper >= lower else {
            findings.append(finding("invalid-value", .error, lower == 0 ? "migration_port_min" : "migration_port_max",
                                    "migration ports \(lower)-\(upper): libvirt refuses to start (the minimum must be above 0 and not above the maximum)",
                                    fix: "set migration_port_min and migration_port_max to the range the firewall guards"))
            return
        }
        let guarded = context.policy.migrationPorts.filter { $0.transport == .tcp }.map(\.range)
        let missing = PortRange(lower: UInt16(lower), upper: UInt16(upper))!.subtracting(guarded)
        guard !missing.isEmpty else { return }
        let guardedText = guarded.isEmpty ? "no TCP port" : guarded.map(\.description).joined(separator: ", ")
        findings.append(finding("migration-ports-unguarded", .error, decidingSetting,
                                line: file.conf.entry("migration_port_min")?.line ?? file.conf.entry("migration_port_max")?.line,
                                "QEMU migrates on TCP \(lower)-\(upper), but the policy's firewall guards \(guardedText): \(missing.map(\.description).joined(separator: ", ")) are open to anyone",
                                fix: "set migration_port_min/max inside the profile's ports, or add the range to the policy's ports"))
    }

    /// The addresses of the migration NIC, for messages.
    private var nicAddresses: String {
        guard let list = context.interfaceAddresses, !list.isEmpty else { return "not known here" }
        return list.map { $0.address.addressText }.joined(separator: ", ")
    }

    private func isLoopback(_ value: String) -> Bool {
        guard let address = try? PrefixParser.parse(Self.unbracketed(value)) else { return false }
        let loopback4 = try! PrefixParser.parse("127.0.0.0/8"), loopback6 = try! PrefixParser.parse("::1")
        return loopback4.containsPrefix(address) || address == loopback6
    }

    static func unbracketed(_ value: String) -> String {
        value.hasPrefix("[") && value.hasSuffix("]") ? String(value.dropFirst().dropLast()) : value
    }
}
