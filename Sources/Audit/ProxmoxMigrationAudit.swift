import Policy
import Prefix

/// datacenter.cfg's `migration:` (and the deprecated `migration_unsecure:`) against the
/// policy: the type and network Proxmox will use, and the lines it ignores.
///
/// Proxmox resolves the type as: `migration: type`, else `migration_unsecure`, else secure.
/// A value its schema rejects is dropped, so the defaults apply (DataCenterConfig.pm).
struct ProxmoxMigrationAudit {
    private(set) var findings: [AuditFinding] = []
    /// The migration network Proxmox uses; nil when it migrates over the cluster network.
    private(set) var network: AnyCIDR?

    init(context: AuditContext, config: ProxmoxDatacenterConfig, file: String) {
        func finding(_ id: String, _ severity: Severity, line: Int?, setting: String?, _ message: String,
                     fix: String? = nil) -> AuditFinding {
            AuditFinding(id: id, severity: severity, file: file, line: line, setting: setting, message: message, fix: fix)
        }
        for key in ["migration", "migration_unsecure"] {
            let repeats = config.ignoredRepeats(of: key)
            guard let last = config.entry(key) else { continue }
            for ignored in repeats {
                findings.append(finding("repeated-setting", .warning, line: ignored.line, setting: key,
                                        "\(key) is set again on line \(last.line): Proxmox uses the last one and ignores this one",
                                        fix: "keep one \(key) line"))
            }
        }
        for line in config.unparsedLines {
            findings.append(finding("invalid-setting", .warning, line: line, setting: nil,
                                    "not a 'key: value' line: Proxmox ignores it", fix: "write the setting as 'key: value'"))
        }

        let migration = config.entry("migration")
        var setting = ProxmoxMigrationSetting()
        if let migration {
            switch ProxmoxMigrationSetting.parse(migration.value) {
            case .success(let parsed): setting = parsed
            case .failure(let problem):
                findings.append(finding("invalid-setting", .warning, line: migration.line, setting: "migration",
                                        "migration: \(problem.message): Proxmox drops the setting and uses the defaults (type secure, over the cluster network)",
                                        fix: "write it as 'migration: secure,network=CIDR'"))
            }
        }

        var insecureAt: (line: Int, key: String)?
        if let type = setting.type, let migration {
            if type == .insecure { insecureAt = (migration.line, "migration") }
        } else if let legacy = config.entry("migration_unsecure") {
            switch proxmoxBool(legacy.value) {
            case true?: insecureAt = (legacy.line, "migration_unsecure")
            case false?: break
            case nil:
                findings.append(finding("invalid-setting", .warning, line: legacy.line, setting: "migration_unsecure",
                                        "migration_unsecure: '\(Excerpt.quoted(legacy.value))' is not a boolean: Proxmox drops the setting and migrates securely",
                                        fix: "remove migration_unsecure; 'migration: type=...' replaces it"))
            }
        }
        if let insecureAt {
            findings.append(Self.insecure(context, file: file, line: insecureAt.line, key: insecureAt.key))
        }

        network = setting.network?.prefix
        let names = context.interfaceNames
        if let chosen = setting.network {
            if context.holdsMigrationAddress(chosen.prefix) == false {
                let held = (context.interfaceAddresses ?? []).map(\.description).joined(separator: ", ")
                findings.append(finding("migration-network-elsewhere", .warning, line: migration?.line, setting: "migration",
                                        "migration network \(Excerpt.quoted(chosen.text)) holds none of \(names)'s addresses (\(held)): migration runs over another network",
                                        fix: "set network= to the migration NIC's subnet (\(Self.suggestedNetwork(context)))"))
            }
        } else {
            findings.append(finding("migration-network-unset", .warning, line: migration?.line, setting: "migration",
                                    "migration has no network: Proxmox migrates over the cluster network (each node name's address), not over \(names)",
                                    fix: "add the migration NIC's subnet: 'migration: secure,network=\(Self.suggestedNetwork(context))'"))
        }
    }

    /// The finding for an insecure migration type: an error unless the policy itself says
    /// migration goes unauthenticated.
    private static func insecure(_ context: AuditContext, file: String, line: Int, key: String) -> AuditFinding {
        let fix = key == "migration"
            ? "set 'migration: secure' (SSH-tunnelled), keeping its network="
            : "remove migration_unsecure, or set 'migration: type=secure', which takes precedence"
        let authentication = context.policy.authentication?.value
        if authentication == Authentication.none {
            return AuditFinding(
                id: "migration-insecure", severity: .info, file: file, line: line, setting: key,
                message: "migration type insecure: plain TCP 60000-60050 without encryption or authentication, as the policy's authentication: none accepts")
        }
        let wanted = authentication.map { ", but the policy asks for \($0.rawValue)" } ?? ""
        return AuditFinding(
            id: "migration-insecure", severity: .error, file: file, line: line, setting: key,
            message: "migration type insecure: VM memory (and local disks, over NBD) crosses the network unencrypted and unauthenticated on TCP 60000-60050\(wanted)",
            fix: fix)
    }

    /// The network a fix suggests: the migration NIC's (first IPv4) subnet.
    private static func suggestedNetwork(_ context: AuditContext) -> String {
        let subnets = (context.interfaceAddresses ?? []).map(\.subnet)
        return (subnets.first { $0.family == .ipv4 } ?? subnets.first)?.description ?? "the migration subnet"
    }
}
