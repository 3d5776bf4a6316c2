import ArgumentParser
import Foundation
import Policy

/// `migfw profiles`: the hypervisor profiles this binary knows, their ports, and where each
/// definition comes from (a file that overrides or adds one, or the built-in text).
struct Profiles: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "List the known hypervisor profiles, their ports and where each comes from.",
        discussion: """
            Profiles are looked up in $MIGFW_PROFILES_DIR, /etc/migfw/profiles and \
            /usr/share/migfw/profiles (NAME.yaml; the first directory that has a name wins), \
            then among the profiles built into the binary. Exit status: 0, or 2 when a profile \
            file is invalid (its errors are printed, FILE:LINE:COLUMN).
            """
    )

    func run() throws {
        let catalog = ProfileCatalog.standard
        var rows: [[String]] = [["PROFILE", "PORTS", "SOURCE"]]
        var errors = ""
        for name in catalog.names {
            guard let source = catalog.source(for: name) else { continue }
            var where_ = source.description
            if case .file = source, catalog.builtins[name] != nil { where_ += " (overrides the built-in)" }
            do {
                let definition = try catalog.read(name: name, source: source)
                var ports = definition.profile.ports.map(\.description).joined(separator: " ")
                if ports.isEmpty { ports = "(the policy's own)" }
                for (option, extra) in definition.performanceOptions.sorted(by: { $0.key < $1.key }) where !extra.isEmpty {
                    ports += "; performance \(option): +" + extra.map(\.description).joined(separator: " ")
                }
                rows.append([name, ports, where_])
            } catch {
                rows.append([name, "INVALID", where_])
                for finding in error.findings {
                    errors += "\(finding.location): \(finding.severity.rawValue): \(finding.message) [\(finding.id)]\n"
                }
            }
        }
        let widths = (0..<2).map { column in rows.map { $0[column].count }.max() ?? 0 }
        let output = rows.map { row in
            row[0].padding(toLength: widths[0] + 2, withPad: " ", startingAt: 0)
                + row[1].padding(toLength: widths[1] + 2, withPad: " ", startingAt: 0) + row[2]
        }.joined(separator: "\n") + "\n"
        try StandardOutput.write(output)
        if !errors.isEmpty {
            printError(errors.hasSuffix("\n") ? String(errors.dropLast()) : errors)
            throw ExitCode.invalidInput
        }
    }
}
