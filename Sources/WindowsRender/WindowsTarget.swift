import Policy
import Prefix

/// What `migfw render` writes: a script for a Hyper-V host, or for Active Directory.
public enum WindowsTarget: String, Hashable, Sendable, CaseIterable {
    /// Live migration settings, migration networks and firewall rules of one Hyper-V host.
    case hyperv
    /// Kerberos delegation between the trusted named hosts, for a domain admin.
    case ad

    /// The script for `policy`. `source` names the policy in the script's header; `trustedSet`
    /// is the policy's compiled trusted set when the caller has it already.
    public func render(
        _ policy: Policy, source: String, generator: String, trustedSet: AggregatedPrefixes? = nil
    ) throws(WindowsRenderError) -> String {
        switch self {
        case .hyperv:
            let plan = try HyperVHostPlan.make(policy, trustedSet: trustedSet ?? policy.trustedSet())
            return HostScript.render(plan, source: source, generator: generator)
        case .ad:
            return ADScript.render(try DelegationPlan.make(policy), source: source, generator: generator)
        }
    }
}
