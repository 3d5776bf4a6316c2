import ArgumentParser
import Engine
import Foundation
import Policy
import WindowsRender

/// `migfw render`: the policy as a PowerShell script for a Hyper-V host or for Active
/// Directory. Reads only the policy; needs no privileges and touches no kernel.
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Write the policy as an idempotent PowerShell script for Windows. Needs no privileges.",
        discussion: """
            hyperv: one Hyper-V host's live migration settings (Kerberos, performance option, \
            migration networks only) and Windows Defender Firewall rules (allow the trusted set, \
            block its complement, built-in allow-any migration rule disabled). ad: Kerberos \
            delegation between the trusted named hosts, for a domain admin. Run the script with \
            `powershell.exe -File SCRIPT -Check` to see differences (exit 0 in sync, 2 changes \
            pending, 1 error) and without -Check to apply them. A policy with lint errors (see \
            `migfw check`) is refused like `apply` refuses it. Exit 0 ok, 2 invalid policy, or \
            a policy that cannot be rendered for the target, 1 output could not be written.
            """
    )

    @OptionGroup var config: ConfigOptions

    @Option(help: "What the script configures: \(WindowsTarget.allCases.map(\.rawValue).joined(separator: ", ")).")
    var target: WindowsTarget

    @Option(name: [.customShort("o"), .customLong("output")], help: "Write the script to this file instead of standard output.",
            completion: .file(extensions: ["ps1"]))
    var output: String?

    func run() throws {
        let policy = try lintedPolicy(config: config.config, command: "render", nothing: "nothing written")
        let script: String
        do {
            script = try target.render(policy, source: config.config, generator: "migfw \(Migfw.version) render --target \(target.rawValue)")
        } catch {
            printError("\(error)\nmigfw render: nothing written")
            throw ExitCode.invalidInput
        }
        if target == .hyperv, let authentication = policy.authentication, authentication.value == .credssp {
            printError("\(authentication.location): warning: authentication: CredSSP hands the user's credentials to the remote host, and Windows Server 2025 cannot migrate with it; use kerberos")
        }
        guard let output else { return try StandardOutput.write(script) }
        do {
            // Like every file migfw writes: never through a name planted in the directory.
            try OwnFiles.replace(output, with: script, mode: 0o644)
        } catch {
            printError("migfw: \(error)")
            throw ExitCode.failure
        }
    }
}

extension WindowsTarget: ExpressibleByArgument {}
