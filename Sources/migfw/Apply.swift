import ArgumentParser
import Engine
import Foundation
import Policy
import Ruleset

/// `migfw apply`: the policy's ruleset into the kernel in one atomic netlink transaction.
struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Load the policy's ruleset into the kernel (table inet migfw) atomically.",
        discussion: """
            Creates table inet migfw, or replaces it, in ONE netlink transaction (all or \
            nothing, guarded by the ruleset generation id), then reads it back and checks that \
            the kernel holds exactly the compiled ruleset. No other table is touched. Needs \
            CAP_NET_ADMIN. Exit 0 applied, 2 invalid policy or arguments (nothing applied), \
            1 kernel error or missing privileges.
            """
    )

    @OptionGroup var config: ConfigOptions
    @OptionGroup var namespace: NamespaceOptions

    func run() throws {
        let policy: Policy
        do {
            policy = try PolicyLoader.load(path: config.config)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
        let findings = PolicyLinter.lint(policy)
        if PolicyLinter.hasErrors(findings) {
            for finding in findings where finding.severity == .error {
                FileHandle.standardError.write(Data("\(finding)\n".utf8))
            }
            FileHandle.standardError.write(Data("migfw apply: the policy has errors (see `migfw check`); nothing applied\n".utf8))
            throw ExitCode(2)
        }
        let table = RulesetCompiler.compile(policy)
        let report: ApplyReport
        do {
            report = try Applier.apply(table, namespace: namespace.netns,
                                       interface: (policy.interface.value, policy.interface.location.description))
        } catch {
            throw exitForKernelFailure(error, command: "apply")
        }
        let place = namespace.netns.map { " in network namespace \($0)" } ?? ""
        print("\(report.replaced ? "replaced" : "created") table \(table.family.rawValue) \(table.name)\(place)")
        for set in report.setSizes {
            print("  set \(set.name): \(set.intervals) \(set.intervals == 1 ? "element" : "elements")")
        }
        print("  \(report.chains) chains, \(report.rules) rules")
        print("one transaction: \(report.messages) netlink messages, \(report.bytes) bytes, committed in \(milliseconds(report.applySeconds)); verified by read-back in \(milliseconds(report.verifySeconds))")
    }
}
