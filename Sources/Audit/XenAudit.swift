import Policy
import Prefix

/// Placeholder: being written.
enum XenAudit {
    static func findings(_ context: AuditContext) -> [AuditFinding] { [] }
}
