import Policy
import Prefix

/// Placeholder: being written.
enum ProxmoxAudit {
    static func findings(_ context: AuditContext) -> [AuditFinding] { [] }
}
