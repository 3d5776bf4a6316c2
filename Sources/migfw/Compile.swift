import ArgumentParser
import Foundation
import Policy
import Ruleset

/// `migfw compile`: the policy's ruleset as `nft -f` text, libnftables JSON, or the trusted
/// sets' minimal CIDR cover. Reads only the policy; needs no privileges.
struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Print the policy's ruleset (nft text, JSON, or the trusted CIDRs). Needs no privileges.",
        discussion: """
            nft: text that `nft -f` loads (table inet migfw). json: the libnftables JSON schema, \
            for `nft -j -f`. cidr: the trusted set as its minimal list of prefixes, IPv4 then \
            IPv6, one a line. A policy with lint errors (see `migfw check`) is refused like \
            `apply` refuses it. Exit 0 ok, 2 invalid policy, lint errors or arguments, 1 output \
            could not be written.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case nft, json, cidr
    }

    @OptionGroup var config: ConfigOptions

    @Option(help: "Output format.")
    var format: Format = .nft

    func run() throws {
        // The same refusal as apply: a ruleset apply would refuse is not printed either.
        let policy = try lintedPolicy(config: config.config, command: "compile", nothing: "nothing printed")
        let output: String
        switch format {
        case .nft:
            output = NftText.render(RulesetCompiler.compile(policy))
        case .json:
            do {
                output = try NftJSON.render(RulesetCompiler.compile(policy))
            } catch {
                printError("migfw: \(error)")
                throw ExitCode.failure
            }
        case .cidr:
            let trusted = policy.trustedSet()
            let lines = trusted.ipv4CIDRs.map(\.description) + trusted.ipv6CIDRs.map(\.description)
            output = lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
        }
        try StandardOutput.write(output)
    }
}
