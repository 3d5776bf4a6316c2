import Policy
import Prefix

/// What `render` would refuse, for `check`: a policy meant for Windows (a `windows:` key, or
/// the hyperv profile in host mode) passes `check` only when `render --target hyperv` accepts
/// it, and its named hosts only when `render --target ad` can find their accounts. A gateway
/// policy with the hyperv profile is for the Linux gateway in front of Hyper-V hosts: it is
/// not rendered, so it is not held to Windows' rules unless it has a `windows:` key.
public enum WindowsLints {
    /// Whether `policy` is meant for Windows hosts.
    public static func applies(to policy: Policy) -> Bool {
        policy.windows != nil || (policy.profile.value.name == "hyperv" && policy.mode == .host)
    }

    /// The render targets' refusals as error findings (id `windows`); [] when the policy is
    /// not meant for Windows. Of the AD target's refusals only those about the names count: a
    /// fleet's per-host policy names only the host's peers (one, in a two-host cluster), so
    /// "delegation needs at least two named hosts" is a matter for the policy rendered for
    /// AD, not for every Windows policy.
    public static func findings(_ policy: Policy, trustedSet: AggregatedPrefixes) -> [Finding] {
        guard applies(to: policy) else { return [] }
        var findings: [Finding] = []
        do {
            _ = try HyperVHostPlan.make(policy, trustedSet: trustedSet)
        } catch {
            findings += error.findings
        }
        do {
            _ = try DelegationPlan.make(policy)
        } catch {
            findings += error.findings.filter { !$0.message.hasPrefix("delegation needs at least two named trusted hosts") }
        }
        var seen = Set<Finding>()
        return findings.filter { seen.insert($0).inserted }
    }
}
