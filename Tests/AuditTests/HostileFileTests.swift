import Audit
import Foundation
import Glibc
import Policy
import Testing
import TestSupport

/// Hostile configuration trees get what hostile policies get: refused or reported with their
/// location, never a hang, never more of a file than the token at fault.
@Suite struct HostileFileTests {
    static let qemu = "/etc/libvirt/qemu.conf"
    /// A 40-character token, as in a credentials file someone linked where qemu.conf belongs.
    static let secret = "tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0ZZZZ"

    func refusal(_ root: FakeRoot) throws -> AuditFinding {
        let report = try audit(try Repo.policy("libvirt-tls.yaml"), root)
        return try #require(report.findings.first { $0.id == "unreadable-config" && $0.file == root.path + Self.qemu })
    }

    @Test func aFIFOIsRefusedWithoutWaitingForAWriter() throws {
        let root = try FakeRoot()
        try FileManager.default.createDirectory(atPath: root.path + "/etc/libvirt", withIntermediateDirectories: true)
        #expect(mkfifo(root.path + Self.qemu, 0o600) == 0)
        let finding = try refusal(root)
        #expect(finding.severity == .error && finding.message.contains("not a regular file"))
    }

    @Test func aLinkToTheHostsDeviceIsRefused() throws {
        let root = try FakeRoot()
        try root.link(Self.qemu, to: "/dev/zero")
        try FileManager.default.createDirectory(atPath: root.path + "/dev", withIntermediateDirectories: true)
        // Inside the root, /dev/zero is the root's own: a link to the host's device from there.
        try FileManager.default.createSymbolicLink(atPath: root.path + "/dev/zero", withDestinationPath: "../../../../../../../dev/zero")
        let finding = try refusal(root)
        #expect(finding.message.contains("out of --root"))
    }

    @Test func aLinkOutOfTheRootIsRefusedAndAnAbsoluteLinkStaysInside() throws {
        let outside = try FakeRoot()
        try outside.write("/secret.conf", "migrate_tls_force = 1\n")
        let root = try FakeRoot()
        try root.link(Self.qemu, to: "../../../../../../../../../\(outside.path)/secret.conf")
        #expect(try refusal(root).message.contains("out of --root"))

        // An absolute target means the audited system's path: read inside the root.
        let inside = try FakeRoot()
        try inside.write("/srv/qemu.conf", "migrate_tls_force = 1\nmigration_address = \"192.168.60.5\"\n")
        try inside.link(Self.qemu, to: "/srv/qemu.conf")
        let report = try audit(try Repo.policy("libvirt-tls.yaml"), inside)
        #expect(!report.findings.contains { $0.id == "migrate-tls-not-forced" || $0.id == "unreadable-config" })
        // And an absolute target that names a host file is the root's file, which is missing.
        let host = try FakeRoot()
        try host.link(Self.qemu, to: "/etc/passwd")
        #expect(try audit(try Repo.policy("libvirt-tls.yaml"), host).findings.contains { $0.id == "libvirt-not-found" })
    }

    @Test func aLinkLoopIsRefused() throws {
        let root = try FakeRoot()
        try root.link(Self.qemu, to: "/etc/libvirt/loop")
        try root.link("/etc/libvirt/loop", to: "/etc/libvirt/qemu.conf")
        #expect(try refusal(root).message.contains("too many symbolic links"))
    }

    @Test func aHugeFileIsRefusedBeforeItIsRead() throws {
        let root = try FakeRoot()
        try root.write(Self.qemu, "")
        let handle = try #require(FileHandle(forWritingAtPath: root.path + Self.qemu))
        try handle.truncate(atOffset: UInt64(ConfigRoot.maximumBytes) * 64)
        try handle.close()
        #expect(try refusal(root).message.contains("above the limit"))
    }

    @Test func aBinaryFileIsRefusedAtItsLineAndNotQuoted() throws {
        let root = try FakeRoot()
        try root.write(Self.qemu, "# fine\nmigrate_tls_force = 1\n\(Self.secret)\u{0}\u{1}\n")
        let finding = try refusal(root)
        #expect(finding.line == 3 && finding.message.contains("binary"))
        #expect(!finding.description.contains("tok_"))
    }

    @Test func latin1IsRefusedAtItsLine() throws {
        let root = try FakeRoot()
        try FileManager.default.createDirectory(atPath: root.path + "/etc/libvirt", withIntermediateDirectories: true)
        try Data("migrate_tls_force = 1\n# caf\u{e9}\n".data(using: .isoLatin1)!).write(to: URL(fileURLWithPath: root.path + Self.qemu))
        let finding = try refusal(root)
        #expect(finding.line == 2 && finding.message.contains("not UTF-8"))
    }

    @Test func aSecretInALinkedFileIsQuotedNoFurtherThanTheToken() throws {
        // A credentials file where qemu.conf belongs: libvirt would refuse the unquoted word,
        // and the audit says so, quoting 12 characters of it at most.
        let root = try FakeRoot()
        try root.write(Self.qemu, "token = \(Self.secret)\n\(Self.secret)\n")
        let report = try audit(try Repo.policy("libvirt-tls.yaml"), root)
        let syntax = try #require(report.findings.first { $0.id == "config-syntax" })
        #expect(syntax.line == 1)
        let everything = report.findings.map(\.description).joined(separator: "\n")
        #expect(!everything.contains(String(Self.secret.prefix(13))), "\(everything)")
        #expect(everything.contains(String(Self.secret.prefix(12))))
    }

    @Test func terminalEscapesInAValueAreEscaped() throws {
        let root = try FakeRoot()
        try root.write(Self.qemu, "migrate_tls_force = 1\nmigration_address = \"\u{1b}[2Jevil\"\n")
        let report = try audit(try Repo.policy("libvirt-tls.yaml"), root)
        let finding = try #require(report.findings.first { $0.id == "migration-address-name" })
        #expect(!finding.message.contains("\u{1b}") && finding.message.contains("\\u{1b}"))
    }

    /// A device where a config file belongs is refused without being opened (opening
    /// /dev/watchdog arms it; this one is a harmless /dev/null made inside the root).
    @Test(.enabled(if: KernelGate.available, "mknod needs root")) func aDeviceInTheRootIsRefusedUnopened() throws {
        let root = try FakeRoot()
        try FileManager.default.createDirectory(atPath: root.path + "/etc/libvirt", withIntermediateDirectories: true)
        #expect(mknod(root.path + Self.qemu, S_IFCHR | 0o600, dev_t((1 << 8) | 3)) == 0)  // major 1, minor 3
        let finding = try refusal(root)
        #expect(finding.message.contains("not a regular file"))
    }

    /// A directory whose files decide a setting is reported when it cannot be listed, never
    /// taken as empty: an xapi.conf.d behind a link out of the root.
    @Test func aFragmentDirectoryOutOfTheRootIsReported() throws {
        let root = try FakeRoot()
        try root.write("/etc/xapi.conf", "migration-https-only = true\n")
        try root.link("/etc/xapi.conf.d", to: "../../../../../../../../../tmp")
        let report = try audit(try Repo.policy("xen.yaml"), root)
        let finding = try #require(report.findings.first { $0.id == "unreadable-config" })
        #expect(finding.file == root.path + "/etc/xapi.conf.d" && finding.severity == .error)
    }

    /// An unreadable /etc/default/libvirtd is reported, not read as "no --listen".
    @Test func anUnreadableListenFlagFileIsReported() throws {
        let root = try FakeRoot()
        try root.write("/etc/libvirt/libvirtd.conf", "listen_tcp = 1\nauth_tcp = \"none\"\n")
        try FileManager.default.createDirectory(atPath: root.path + "/etc/default", withIntermediateDirectories: true)
        try Data("LIBVIRTD_ARGS=\"--listen\" # caf\u{e9}\n".data(using: .isoLatin1)!).write(to: URL(fileURLWithPath: root.path + "/etc/default/libvirtd"))
        let report = try audit(try Repo.policy("libvirt-tls.yaml"), root)
        #expect(report.findings.contains { $0.id == "unreadable-config" && $0.file.hasSuffix("/etc/default/libvirtd") })
    }

    /// Repeated secrets are not printed: only the lines.
    @Test func aRepeatedPasswordIsNotQuoted() throws {
        let root = try FakeRoot()
        try root.write(Self.qemu, "vnc_password = \"first-secret\"\nvnc_password = \"second-secret\"\n")
        let report = try audit(try Repo.policy("libvirt-tls.yaml"), root)
        let repeated = try #require(report.findings.first { $0.id == "repeated-setting" })
        #expect(!repeated.description.contains("secret"), "\(repeated.description)")
    }

    /// A file name with control characters is printed escaped.
    @Test func aFileNameIsEscaped() {
        let finding = AuditFinding(id: "x", severity: .error, file: "/etc/xapi.conf.d/a\nforged: error", line: 1, message: "m")
        #expect(!finding.description.contains("\n/etc") && finding.description.contains("\\u{a}"))
    }

    @Test func aMissingOrNonDirectoryRootIsRefused() throws {
        #expect(throws: AuditRootError.self) { try ConfigRoot("/nonexistent/migfw-root") }
        let root = try FakeRoot()
        try root.write("/file", "x")
        #expect(throws: AuditRootError.self) { try ConfigRoot(root.path + "/file") }
    }
}

/// Files written on Windows (CRLF) read with the same lines.
@Suite struct LineEndTests {
    @Test func crlfFilesKeepTheirLineNumbers() throws {
        let root = try FakeRoot()
        try root.write("/etc/libvirt/qemu.conf", "# written on Windows\r\n#migration_address = \"0.0.0.0\"\r\nmigrate_tls_force = 0\r\n")
        let report = try audit(try Repo.policy("libvirt-tls.yaml"), root)
        #expect(report.findings.first { $0.id == "migrate-tls-not-forced" }?.line == 3)
        #expect(report.findings.first { $0.id == "migration-address-any" }?.line == 2)
        try root.write("/etc/pve/datacenter.cfg", "keyboard: en-us\r\nmigration: insecure\r\n")
        let proxmox = try audit(try Repo.policy("proxmox-ssh.yaml"), root)
        #expect(proxmox.findings.first { $0.id == "migration-insecure" }?.line == 2)
    }
}
