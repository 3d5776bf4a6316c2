import Prefix
import Yams

/// The optional `windows` key: what a Hyper-V host or its Active Directory needs beyond the
/// Linux policy (`migfw render --target hyperv|ad`). Linux commands ignore it.
public struct WindowsOptions: Hashable, Sendable {
    /// The migration NIC's alias on the Hyper-V host (`Get-NetAdapter`), e.g. `vEthernet (LM)`.
    /// The firewall rules are scoped to it; without it they apply on every interface.
    public var interfaceAlias: Located<String>?
    /// The local subnets Hyper-V accepts incoming live migration on (`Add-VMMigrationNetwork`).
    /// Absent: `trusted.networks`.
    public var migrationNetworks: [Located<AnyCIDR>]?
    /// The Active Directory DNS domain of trusted host names written without a dot.
    public var domain: Located<String>?
    /// Where the `windows` key was written.
    public var location: SourceLocation?

    public init(interfaceAlias: Located<String>? = nil, migrationNetworks: [Located<AnyCIDR>]? = nil,
                domain: Located<String>? = nil, location: SourceLocation? = nil) {
        self.interfaceAlias = interfaceAlias
        self.migrationNetworks = migrationNetworks
        self.domain = domain
        self.location = location
    }
}

extension PolicyDecoder {
    /// `windows: {interface_alias, migration_networks, domain}`, each checked against the rules
    /// of ``WindowsNames`` so a bad value is reported with its line like any other.
    func decodeWindows(_ key: Node, _ node: Node) -> WindowsOptions {
        var options = WindowsOptions(location: reader.location(key))
        guard let entries = reader.mapping(node, path: "windows", known: ["interface_alias", "migration_networks", "domain"])
        else { return options }
        if let (_, value) = entries["interface_alias"], let alias = reader.string(value, path: "windows.interface_alias") {
            if let problem = WindowsNames.aliasProblem(alias) {
                reader.error("windows", value, "windows.interface_alias: the alias \(problem)",
                             hint: "write the alias Get-NetAdapter shows, e.g. 'vEthernet (LM)' (printable ASCII, no * ? [ ])")
            } else {
                options.interfaceAlias = Located(alias, at: reader.location(value))
            }
        }
        if let (_, value) = entries["migration_networks"] {
            options.migrationNetworks = reader.prefixes(value, path: "windows.migration_networks")
        }
        if let (_, value) = entries["domain"], let domain = reader.string(value, path: "windows.domain") {
            if let problem = WindowsNames.dnsNameProblem(domain) {
                reader.error("windows", value, "windows.domain: '\(domain.debugDescription.dropFirst().dropLast())' \(problem)",
                             hint: "write the Active Directory DNS domain, e.g. prod.example.com")
            } else {
                options.domain = Located(domain, at: reader.location(value))
            }
        }
        return options
    }
}
