import Audit
import Foundation
import Policy
import Testing

/// The libvirt audit on Debian's qemu.conf, libvirtd.conf, socket units and SASL file as
/// shipped, then changed line by line: hardened, broken, repeated, quoted, moved.
@Suite(.enabled(if: DebianLibvirt.available, "Debian's libvirt packages could not be downloaded"))
struct DebianLibvirtTests {
    static let qemu = "/etc/libvirt/qemu.conf"
    static let libvirtd = "/etc/libvirt/libvirtd.conf"

    /// A root holding Debian's files, with qemu.conf and libvirtd.conf as given.
    func root(qemu: MutatedFile? = nil, libvirtd: MutatedFile? = nil, extra: (FakeRoot) throws -> Void = { _ in }) throws -> FakeRoot {
        let root = try FakeRoot()
        try root.write(Self.qemu, try qemu?.text ?? DebianLibvirt.text(Self.qemu))
        try root.write(Self.libvirtd, try libvirtd?.text ?? DebianLibvirt.text(Self.libvirtd))
        try root.write("/etc/sasl2/libvirt.conf", try DebianLibvirt.text("/etc/sasl2/libvirt.conf"))
        try root.write("/etc/default/libvirtd", try DebianLibvirt.text("/etc/default/libvirtd"))
        for unit in ["libvirtd-tcp.socket", "libvirtd-tls.socket"] {
            try root.write("/lib/systemd/system/\(unit)", try DebianLibvirt.text("/lib/systemd/system/\(unit)"))
        }
        try extra(root)
        return root
    }

    func shipped(_ file: String) throws -> MutatedFile { MutatedFile(try DebianLibvirt.text(file)) }

    /// `id@line` of every error and warning, the form the expectations are written in.
    func serious(_ report: AuditReport) -> Set<String> {
        Set(report.findings.filter { $0.severity != .info }.map { "\($0.id)@\($0.line.map(String.init) ?? "-")" })
    }

    @Test func asShippedTLSIsNotForcedAndTheListenerIsOnEveryNIC() throws {
        let file = try shipped(Self.qemu)
        let report = try audit(try Repo.policy("libvirt-tls.yaml"), try root())
        #expect(serious(report) == [
            "migrate-tls-not-forced@\(try #require(file.commented("migrate_tls_force")))",
            "migration-address-any@\(try #require(file.commented("migration_address")))",
        ])
        let host = try #require(report.findings.first { $0.id == "migration-host-unset" })
        #expect(host.severity == .info && host.line == file.commented("migration_host"))
        // libvirtd's listen_tls defaults to 1 but is honoured only with --listen, which Debian leaves commented out.
        #expect(!report.findings.contains { $0.file.hasSuffix("libvirtd.conf") })
    }

    @Test func asShippedWithoutATLSPolicyPlaintextIsAWarningOrANote() throws {
        let warning = try audit(try Repo.policy("libvirt-kerberos.yaml"), try root())
        #expect(warning.findings.first { $0.id == "migrate-tls-not-forced" }?.severity == .warning)
        let note = try audit(try Repo.policy("libvirt-none.yaml"), try root())
        #expect(note.findings.first { $0.id == "migrate-tls-not-forced" }?.severity == .info)
        #expect(!note.hasErrors)
    }

    @Test func hardenedHasNothingToSay() throws {
        var file = try shipped(Self.qemu)
        file.set("migrate_tls_force", "migrate_tls_force = 1")
        file.set("migration_address", "migration_address = \"192.168.60.5\"")
        file.set("migration_host", "migration_host = \"192.168.60.5\"")
        file.set("migrate_tls_x509_verify", "migrate_tls_x509_verify = 1")
        let report = try audit(try Repo.policy("libvirt-tls.yaml"), try root(qemu: file))
        #expect(report.findings.isEmpty, "\(report.findings)")
    }

    @Test func anIPv6ListenAddressOnTheNICIsFine() throws {
        var file = try shipped(Self.qemu)
        file.set("migrate_tls_force", "migrate_tls_force = 1")
        let line = file.set("migration_address", "migration_address = \"fd00:60::5\"")
        #expect(!serious(try audit(try Repo.policy("libvirt-tls.yaml"), try root(qemu: file))).contains("migration-address-any@\(line)"))
        file.set("migration_address", "migration_address = \"::\"")
        #expect(serious(try audit(try Repo.policy("libvirt-tls.yaml"), try root(qemu: file))).contains("migration-address-any@\(line)"))
    }

    @Test func brokenSettingsAreErrorsAtTheirLines() throws {
        var file = try shipped(Self.qemu)
        file.set("migrate_tls_force", "migrate_tls_force = 1")
        let verify = file.set("migrate_tls_x509_verify", "migrate_tls_x509_verify = 0")
        let address = file.set("migration_address", "migration_address = \"10.9.9.9\"")
        let report = try audit(try Repo.policy("libvirt-tls.yaml"), try root(qemu: file))
        #expect(serious(report) == ["migrate-tls-verify-off@\(verify)", "migration-address-elsewhere@\(address)"])
        #expect(report.findings.allSatisfy { $0.severity != .error || $0.file.hasSuffix(Self.qemu) })
    }

    @Test func anInheritedVerifyOffIsAnErrorAtTheDefault() throws {
        var file = try shipped(Self.qemu)
        file.set("migrate_tls_force", "migrate_tls_force = 1")
        file.set("migration_address", "migration_address = \"192.168.60.5\"")
        let inherited = file.set("default_tls_x509_verify", "default_tls_x509_verify = 0")
        #expect(serious(try audit(try Repo.policy("libvirt-tls.yaml"), try root(qemu: file))) == ["migrate-tls-verify-off@\(inherited)"])
        // The migration's own setting wins over the inherited one.
        file.set("migrate_tls_x509_verify", "migrate_tls_x509_verify = 1")
        #expect(serious(try audit(try Repo.policy("libvirt-tls.yaml"), try root(qemu: file))).isEmpty)
    }

    @Test func theFirstOfRepeatedSettingsWins() throws {
        var file = try shipped(Self.qemu)
        file.set("migration_address", "migration_address = \"192.168.60.5\"")
        let first = file.set("migrate_tls_force", "migrate_tls_force = 0")
        let repeated = file.append("migrate_tls_force = 1")
        let report = try audit(try Repo.policy("libvirt-tls.yaml"), try root(qemu: file))
        #expect(serious(report) == ["migrate-tls-not-forced@\(first)", "repeated-setting@\(repeated)"])
        #expect(report.findings.first { $0.id == "repeated-setting" }?.message.contains("at line \(first)") == true)

        var reversed = try shipped(Self.qemu)
        reversed.set("migration_address", "migration_address = \"192.168.60.5\"")
        reversed.set("migrate_tls_force", "migrate_tls_force = 1")
        let ignored = reversed.append("migrate_tls_force = 0")
        #expect(serious(try audit(try Repo.policy("libvirt-tls.yaml"), try root(qemu: reversed))) == ["repeated-setting@\(ignored)"])
    }

    @Test func aQuotedBooleanIsAnErrorLibvirtStopsAt() throws {
        var file = try shipped(Self.qemu)
        file.set("migration_address", "migration_address = \"192.168.60.5\"")
        let line = file.set("migrate_tls_force", "migrate_tls_force = \"1\"")
        let report = try audit(try Repo.policy("libvirt-tls.yaml"), try root(qemu: file))
        #expect(serious(report) == ["quoted-boolean@\(line)"])
        #expect(report.findings.first?.fix == "write migrate_tls_force = 1 without quotes")
        file.set("migrate_tls_force", "migrate_tls_force = 2")
        #expect(serious(try audit(try Repo.policy("libvirt-tls.yaml"), try root(qemu: file))) == ["invalid-value@\(line)"])
    }

    @Test func movedPortsAreAnErrorTheDefaultRangeIsNot() throws {
        var file = try shipped(Self.qemu)
        file.set("migrate_tls_force", "migrate_tls_force = 1")
        file.set("migration_address", "migration_address = \"192.168.60.5\"")
        let minimum = file.set("migration_port_min", "migration_port_min = 50000")
        file.set("migration_port_max", "migration_port_max = 50063")
        let report = try audit(try Repo.policy("libvirt-tls.yaml"), try root(qemu: file))
        #expect(serious(report) == ["migration-ports-unguarded@\(minimum)"])
        #expect(report.findings.first { $0.id == "migration-ports-unguarded" }?.message.contains("50000-50063 are open") == true)
        // Half inside: only the part outside is named.
        file.lines[minimum - 1] = "migration_port_min = 49200"
        file.lines[minimum] = "migration_port_max = 49300"
        let half = try audit(try Repo.policy("libvirt-tls.yaml"), try root(qemu: file))
        #expect(half.findings.first { $0.id == "migration-ports-unguarded" }?.message.contains(": 49216-49300 are open") == true)
        // Inside the profile's range: fine.
        file.lines[minimum - 1] = "migration_port_min = 49160"
        file.lines[minimum] = "migration_port_max = 49170"
        #expect(serious(try audit(try Repo.policy("libvirt-tls.yaml"), try root(qemu: file))).isEmpty)
    }

    @Test func anUnquotedWordIsASyntaxErrorWithItsLine() throws {
        var file = try shipped(Self.qemu)
        file.set("migrate_tls_force", "migrate_tls_force = 1")
        let line = file.set("migration_address", "migration_address = 0.0.0.0")
        let report = try audit(try Repo.policy("libvirt-tls.yaml"), try root(qemu: file))
        #expect(serious(report).contains("config-syntax@\(line)"))
    }

    @Test func anEnabledTCPSocketWithAuthNoneIsARootShellForAnyone() throws {
        var conf = try shipped(Self.libvirtd)
        let auth = conf.set("auth_tcp", "auth_tcp = \"none\"")
        let listen = try #require(MutatedFile(try DebianLibvirt.text("/lib/systemd/system/libvirtd-tcp.socket")).line("ListenStream=16509"))
        let report = try audit(try Repo.policy("libvirt-tls.yaml"), try root(libvirtd: conf) { root in
            try root.link("/etc/systemd/system/sockets.target.wants/libvirtd-tcp.socket", to: "/lib/systemd/system/libvirtd-tcp.socket")
        })
        let daemon = report.findings.filter { !$0.file.hasSuffix(Self.qemu) && $0.severity != .info }
        #expect(Set(daemon.map { "\($0.id)@\($0.line ?? 0)" }) == ["auth-tcp-none@\(auth)", "listener-every-nic@\(listen)"])
        #expect(daemon.first { $0.id == "listener-every-nic" }?.file.hasSuffix("/lib/systemd/system/libvirtd-tcp.socket") == true)
        // The same conf without the socket unit and without --listen: nothing listens.
        let quiet = try audit(try Repo.policy("libvirt-tls.yaml"), try root(libvirtd: conf))
        #expect(!quiet.findings.contains { $0.id == "auth-tcp-none" })
    }

    @Test func legacyListenWithListenTCPCountsAsAListener() throws {
        var conf = try shipped(Self.libvirtd)
        conf.set("listen_tcp", "listen_tcp = 1")
        let auth = conf.set("auth_tcp", "auth_tcp = \"none\"")
        var defaults = MutatedFile(try DebianLibvirt.text("/etc/default/libvirtd"))
        defaults.set("LIBVIRTD_ARGS", "LIBVIRTD_ARGS=\"--listen\"")
        let report = try audit(try Repo.policy("libvirt-tls.yaml"), try root(libvirtd: conf) { root in
            try root.write("/etc/default/libvirtd", defaults.text)
        })
        let ids = Set(report.findings.filter { $0.file.hasSuffix(Self.libvirtd) }.map { "\($0.id)@\($0.line ?? 0)" })
        #expect(ids == ["auth-tcp-none@\(auth)", "listener-every-nic@\(try #require(conf.commented("listen_addr")))"])
    }

    @Test func tlsWithoutCertificateChecksIsAnError() throws {
        var conf = try shipped(Self.libvirtd)
        let line = conf.set("tls_no_verify_certificate", "tls_no_verify_certificate = 1")
        let report = try audit(try Repo.policy("libvirt-tls.yaml"), try root(libvirtd: conf))
        let finding = try #require(report.findings.first { $0.id == "tls-no-verify" })
        #expect(finding.severity == .error && finding.line == line)
    }

    @Test func kerberosPolicyWithoutGSSAPIIsAWarning() throws {
        // Debian ships mech_list: gssapi; a cleartext mechanism instead is what the audit flags.
        let shippedSASL = MutatedFile(try DebianLibvirt.text("/etc/sasl2/libvirt.conf"))
        #expect(shippedSASL.line("mech_list: gssapi") != nil, "Debian's shipped mechanism changed")
        let clean = try audit(try Repo.policy("libvirt-kerberos.yaml"), try root())
        #expect(!clean.findings.contains { $0.id == "sasl-no-gssapi" })
        var sasl = shippedSASL
        let line = try #require(sasl.line("mech_list: gssapi"))
        sasl.lines[line - 1] = "mech_list: scram-sha-256"
        let report = try audit(try Repo.policy("libvirt-kerberos.yaml"), try root { root in
            try root.write("/etc/sasl2/libvirt.conf", sasl.text)
        })
        let finding = try #require(report.findings.first { $0.id == "sasl-no-gssapi" })
        #expect(finding.severity == .warning && finding.line == line)
    }
}
