import ArgumentParser
import Audit
import Engine
import Foundation
import Policy
import Prefix

/// `migfw audit`: the hypervisor's own migration settings against the policy. Read-only.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check the hypervisor's own migration settings against the policy (read-only).",
        discussion: """
            Reads the hypervisor's configuration files under --root (libvirt's qemu.conf, \
            libvirtd.conf and virtproxyd.conf with their socket units and SASL file; Proxmox's \
            datacenter.cfg, corosync.conf and cluster.fw; XAPI's xapi.conf and xend's \
            relocation server) and the migration NIC's addresses from the kernel, and reports \
            where they break the three rules: migration authenticated and encrypted, on the \
            dedicated network, from trusted peers only; and where the firewall guards other \
            ports than the hypervisor uses. Never changes a file, never runs the hypervisor's \
            tools, never opens a network connection. Hyper-V and vMotion keep their settings \
            off the machine: the audit says where to check them.

            Output: one FILE:LINE: severity: message [id] line per finding and a note with \
            the fix, then a summary; --json prints {"findings": [...], "errors": N, \
            "warnings": N, "infos": N}. Exit status: 0 no error finding, 1 an error finding, \
            2 an invalid policy or arguments (a --root that is not a directory included).
            """
    )

    @OptionGroup var options: ConfigOptions
    @OptionGroup var namespace: NamespaceOptions

    @Option(help: "Read the hypervisor's files under this directory instead of /.",
            completion: .directory)
    var root: String = "/"

    @Flag(name: .customLong("json"), help: "Print the findings as JSON for programs.")
    var json = false

    func run() throws {
        let policy: Policy
        do {
            policy = try PolicyLoader.load(path: options.config)
        } catch {
            for finding in error.findings { printError(finding.description) }
            throw ExitCode.invalidInput
        }
        let report: AuditReport
        do {
            report = try Self.audit(policy, root: root, namespace: namespace.netns)
        } catch let error as AuditRootError {
            printError("migfw audit: error: \(error)")
            throw ExitCode.invalidInput
        }
        try StandardOutput.write(json ? AuditJSON.text(report) + "\n" : Self.text(report))
        if report.hasErrors { throw ExitCode.failure }
    }

    /// Audits `policy` against the files under `root` and the NIC addresses in `namespace`.
    static func audit(_ policy: Policy, root: String, namespace: String?) throws -> AuditReport {
        let configRoot = try ConfigRoot(root)
        let assigned: [(interface: String, address: AnyCIDR, prefixLength: Int)]
        do {
            assigned = try AssignedAddresses.read(namespace: namespace)
        } catch {
            // A namespace that cannot be entered is an error, not "no NIC here": that would
            // skip every address check and still exit 0.
            throw AuditRootError(message: "--netns \(namespace ?? "(current)"): \(error)")
        }
        let names = Set(policy.interfaces.map(\.value))
        let onNIC = assigned.filter { names.contains($0.interface) }.map {
            InterfaceAddress(address: $0.address, subnet: Self.subnet($0.address, $0.prefixLength))
        }
        let context = AuditContext(policy: policy, root: configRoot, interfaceAddresses: onNIC.isEmpty ? nil : onNIC,
                                   hostAddresses: assigned.map(\.address))
        return Auditor.audit(context)
    }

    static func subnet(_ address: AnyCIDR, _ length: Int) -> AnyCIDR {
        switch address {
        case .v4(let cidr): .v4(CIDR(masking: cidr.address, length: length))
        case .v6(let cidr): .v6(CIDR(masking: cidr.address, length: length))
        }
    }

    static func text(_ report: AuditReport) -> String {
        var output = report.findings.map { $0.description + "\n" }.joined()
        output += "audit: \(report.summary)\n"
        return output
    }
}

/// The `--json` form of an audit.
enum AuditJSON {
    struct Item: Encodable {
        var id: String
        var severity: String
        var file: String
        var line: Int?
        var setting: String?
        var message: String
        var fix: String?
    }
    struct Document: Encodable {
        var findings: [Item]
        var errors: Int
        var warnings: Int
        var infos: Int
    }

    static func text(_ report: AuditReport) -> String {
        let document = Document(
            findings: report.findings.map {
                Item(id: $0.id, severity: $0.severity.rawValue, file: $0.file, line: $0.line, setting: $0.setting,
                     message: $0.message, fix: $0.fix)
            },
            errors: report.errors, warnings: report.warnings, infos: report.infos)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(document)) ?? Data(), as: UTF8.self)
    }
}
