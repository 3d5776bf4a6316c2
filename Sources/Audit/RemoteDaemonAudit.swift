import Foundation
import Policy
import Prefix

/// libvirtd's and virtproxyd's remote listeners (TCP 16509, TLS 16514): a privileged
/// connection to either is a root shell on the host, and tunnelled migration runs through it.
///
/// A listener is on when its socket unit is enabled (`libvirtd-tcp.socket`, ...; then the
/// conf's listen_* and listen_addr are not honoured, the unit's ListenStream= decides), or,
/// without socket activation, when the conf turns it on: libvirtd only with `--listen` in
/// LIBVIRTD_ARGS (/etc/default/libvirtd or /etc/sysconfig/libvirtd), virtproxyd always.
struct RemoteDaemonAudit {
    let context: AuditContext

    /// The daemons with a TCP listener that authenticates with SASL: the SASL check needs them.
    private(set) var tcpListenersWithSASL: [String] = []
    private var collected: [AuditFinding] = []

    init(context: AuditContext) {
        self.context = context
        for daemon in ["libvirtd", "virtproxyd"] { audit(daemon) }
    }

    func findings() -> [AuditFinding] { collected }

    private mutating func audit(_ daemon: String) {
        let path = "/etc/libvirt/\(daemon).conf"
        var file: LibvirtFile?
        switch context.root.read(path) {
        case .missing: break
        case .refused(let finding): collected.append(finding)
        case .text(let text):
            file = LibvirtFile(text)
            file?.reportSyntax(into: &collected)
        }
        let sockets = SystemdSockets(root: context.root)
        let tcpUnit = sockets.enablingLink("\(daemon)-tcp.socket")
        let tlsUnit = sockets.enablingLink("\(daemon)-tls.socket")
        defer {
            for refusal in sockets.refusals where !collected.contains(refusal) { collected.append(refusal) }
        }
        // Without a conf file and without socket units there is no such daemon to audit.
        guard file != nil || tcpUnit != nil || tlsUnit != nil else { return }

        var scratch: [AuditFinding] = []
        let listenTCP = file?.boolean("listen_tcp", into: &scratch) ?? false
        let listenTLS = file?.boolean("listen_tls", into: &scratch) ?? (daemon == "libvirtd")
        let noVerify = file?.boolean("tls_no_verify_certificate", into: &scratch) ?? false
        collected += scratch
        let socketActivated = tcpUnit != nil || tlsUnit != nil
        let listenFlag = daemon == "libvirtd" ? Self.listenFlag(context.root, refusals: &collected) : (file: nil, line: nil, on: true)
        let confHonoured = !socketActivated && listenFlag.on
        let tcpOn = tcpUnit != nil || (confHonoured && listenTCP)
        let tlsOn = tlsUnit != nil || (confHonoured && listenTLS)
        let shown = file?.shown ?? context.root.display(path)

        // auth_tcp: "sasl" by default; "none" is unauthenticated root access in cleartext.
        var authTCP = "sasl"
        if let file, let entry = file.conf.entry("auth_tcp") {
            if let value = file.string("auth_tcp", into: &collected) {
                if ["none", "sasl", "polkit"].contains(value) {
                    authTCP = value
                } else {
                    collected.append(AuditFinding(
                        id: "invalid-value", severity: .error, file: shown, line: entry.line, setting: "auth_tcp",
                        message: "auth_tcp = \(entry.value.shown): \(daemon) refuses to start (none, sasl or polkit)",
                        fix: "write auth_tcp = \"sasl\""))
                }
            }
        }
        let tcpWhy = tcpUnit.map { "\($0) is enabled" } ?? "listen_tcp = 1"
        if tcpOn, authTCP == "none" {
            collected.append(AuditFinding(
                id: "auth-tcp-none", severity: .error, file: shown, line: file?.conf.entry("auth_tcp")?.line, setting: "auth_tcp",
                message: "\(daemon) listens on TCP (\(tcpWhy)) with auth_tcp = \"none\": anyone who connects gets a root shell's worth of control, in cleartext",
                fix: "set auth_tcp = \"sasl\" with Kerberos (GSSAPI), or turn the TCP listener off and use TLS"))
        }
        if tcpOn, authTCP == "sasl" { tcpListenersWithSASL.append(daemon) }
        if noVerify {
            let state = tlsOn ? "and it listens on TLS" : "(no TLS listener is on now)"
            collected.append(AuditFinding(
                id: "tls-no-verify", severity: .error, file: shown, line: file?.conf.entry("tls_no_verify_certificate")?.line,
                setting: "tls_no_verify_certificate",
                message: "tls_no_verify_certificate = 1 \(state): \(daemon) accepts TLS clients without a valid certificate",
                fix: "remove tls_no_verify_certificate (the default 0 checks client certificates)"))
        }

        // Rule 2: where the listeners bind.
        if socketActivated {
            for unit in [tcpUnit == nil ? nil : "\(daemon)-tcp.socket", tlsUnit == nil ? nil : "\(daemon)-tls.socket"].compactMap({ $0 }) {
                for listen in sockets.listenStreams(unit) where listen.isEveryAddress {
                    collected.append(AuditFinding(
                        id: "listener-every-nic", severity: .warning, file: listen.file, line: listen.line, setting: "ListenStream",
                        message: "\(unit) listens on \(Excerpt.quoted(listen.value)), every NIC: \(daemon)'s remote access is reachable from every network",
                        fix: "add a drop-in with ListenStream= then ListenStream=ADDRESS:PORT on the management or migration network"))
                }
            }
        } else if tcpOn || tlsOn, let file, file.conf.entry("listen_addr") == nil {
            collected.append(AuditFinding(
                id: "listener-every-nic", severity: .warning, file: shown, line: file.line(of: "listen_addr"), setting: "listen_addr",
                message: "\(daemon) listens on \(tcpOn ? "TCP" : "TLS")\(tcpOn && tlsOn ? " and TLS" : "") and listen_addr is not set: it accepts connections on every NIC",
                fix: "set listen_addr to an address of the network that should reach \(daemon)"))
        }
    }

    /// Whether libvirtd runs with `--listen`/`-l` (LIBVIRTD_ARGS), the only way its conf's
    /// listeners are honoured without socket activation.
    /// A file that cannot be read is reported in `refusals`, never taken as "no --listen".
    static func listenFlag(_ root: ConfigRoot, refusals: inout [AuditFinding]) -> (file: String?, line: Int?, on: Bool) {
        for path in ["/etc/default/libvirtd", "/etc/sysconfig/libvirtd"] {
            let text: ConfigText
            switch root.read(path) {
            case .text(let read): text = read
            case .missing: continue
            case .refused(let refusal):
                refusals.append(refusal)
                continue
            }
            for (index, raw) in text.lines.enumerated() {
                let line = raw.trimmingCharacters(in: .whitespaces)
                guard !line.hasPrefix("#"), line.hasPrefix("LIBVIRTD_ARGS=") else { continue }
                let value = line.dropFirst("LIBVIRTD_ARGS=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                let words = value.split(separator: " ")
                if words.contains("--listen") || words.contains("-l") { return (text.shown, index + 1, true) }
            }
        }
        return (nil, nil, false)
    }
}
