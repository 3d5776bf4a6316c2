import ArgumentParser
import Engine
import Foundation
import Plan
import Ruleset

/// `migfw plan`: what `apply` would change, without changing anything.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what apply would change in the kernel (a dry run).",
        discussion: """
            Reads table inet migfw from the kernel and compares it with the policy's ruleset: \
            set elements to add and remove (as CIDRs), chains and rules added, removed or \
            replaced, a missing table. Elements the kernel trusts that the policy does not, \
            and that migfw did not apply itself (a prefix taken out of the policy is not), \
            are flagged as a possible intrusion. Colour unless NO_COLOR is set or stdout is not a \
            terminal; --json prints the documented schema (docs/operations.md, "Plan JSON").

            Exit status (terraform's -detailed-exitcode convention): 0 in sync, 2 changes \
            pending, 1 error (an invalid policy included: nothing is read or changed), and 1 \
            too when the host is not protected although the kernel may match the policy: an \
            `apply --confirm` that was killed before it was confirmed or rolled back, or a \
            migration NIC that does not exist (ALERT lines on standard error).
            """
    )

    @OptionGroup var config: ConfigOptions
    @OptionGroup var namespace: NamespaceOptions
    @OptionGroup var state: StateOptions

    @Flag(name: .long, help: "Print the plan as JSON (schema: docs/operations.md, \"Plan JSON\").")
    var json = false

    @Flag(name: .long, help: "List every element instead of folding long lists to a count.")
    var verbose = false

    func run() throws {
        let (policy, desired) = try desiredRuleset(config: config.config, command: "plan", invalidExit: .failure)
        let plan: RulesetPlan
        let alerts: [ProtectionAlert]
        do {
            let applier = try Applier(namespace: namespace.netns, stateDirectory: state.stateDirectory, family: desired.family)
            plan = applier.plan(desired, from: try applier.snapshot())
            alerts = try ProtectionAlerts.check(interfaces: policy.interfaces.map(\.value), tableLoaded: !plan.tableMissing, family: desired.family,
                                                forwarding: policy.gateway != nil,
                                                stateDirectory: state.stateDirectory, namespace: namespace.netns)
        } catch {
            throw reportFailure(error, command: "plan")
        }
        if json {
            try StandardOutput.write(PlanJSON.render(plan))
        } else {
            try StandardOutput.write(PlanRenderer(color: stdoutWantsColour, verbose: verbose).render(plan))
        }
        if !plan.isEmpty, let record = RolledBackPolicy.current(directory: state.stateDirectory, namespace: namespace.netns) {
            let what = record.digest == RulesetDigest.digest(desired) ? "this policy" : "a policy"
            printError("note: `migfw apply --confirm` rolled \(what) back at \(record.timeText) (\(record.reason)); "
                       + "reconcile changes nothing until `migfw apply` applies a policy deliberately")
        }
        // The kernel may match the policy and still not protect the host: an error, not "in sync".
        for alert in alerts { printError("migfw plan: ALERT: \(alert)") }
        if !alerts.isEmpty { throw ExitCode.failure }
        if !plan.isEmpty { throw ExitCode.changesPending }
    }
}
