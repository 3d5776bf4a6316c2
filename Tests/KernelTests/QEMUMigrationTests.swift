import Foundation
import Synchronization
import Testing
import TestSupport

/// migfw proven with a real hypervisor's traffic: QEMU live migrations across the packet
/// testbed (Tests/Testbed/qemu-migrate.sh). A destination QEMU in the hypervisor namespace
/// waits for an incoming migration on every address and NIC (`tcp:[::]:PORT`, as QEMU
/// listens by default); a source QEMU in a peer's namespace migrates a small paused VM to
/// it. "completed" means the VM arrived: the destination holds a marker from the source's RAM.
///
/// One testbed per profile (profiles run in parallel); in it, in turn: no table (every path
/// migrates, so a later refusal is migfw's doing), the testbed's policy applied, and
/// `migfw delete`. A destination QEMU holds its port, so migrations to one port run one after
/// another and the profile's ports in parallel. Expected refusals wait 3 s: a migration that
/// is let through completes in well under a second.
@Suite(.enabled(if: KernelGate.available, "QEMU migration tests need root"),
       .enabled(if: QEMUGate.available, "QEMU migration tests need qemu-system-x86_64"))
struct QEMUMigrationTests {
    @Test("only trusted peers migrate a VM, on the migration NIC and on no other",
          arguments: MigrationProfile.all)
    func onlyTrustedPeersMigrateVMs(profile: MigrationProfile) async throws {
        let testbed = try await onOwnThread { try Testbed() }
        defer { testbed.destroy() }
        let scratch = try testbed.scratchDirectory()
        let first = profile.ports[0]

        // Before migfw: the paths migfw must close carry a migration.
        var open: [MigrationCase] = []
        for port in profile.ports {
            open.append(MigrationCase(.untrusted, testbed.address(.hv, .v4), port, completes: true, "no table"))
            open.append(MigrationCase(.mgmt, testbed.managementAddress(.v4), port, completes: true, "no table"))
        }
        open.append(MigrationCase(.mgmt, testbed.managementAddress(.v6), first, completes: true, "no table"))
        try await verify(testbed, open, "no migfw table")

        try await apply(testbed, profile, scratch: scratch)
        var applied: [MigrationCase] = []
        for port in profile.ports {
            applied += [
                MigrationCase(.trusted, testbed.address(.hv, .v4), port, completes: true,
                              "a peer in a trusted network may migrate"),
                MigrationCase(.untrusted, testbed.address(.hv, .v4), port, completes: false,
                              "an untrusted peer may not migrate"),
                // QEMU listens on every NIC: the migration ports are closed on the
                // management NIC too, where no trusted set applies.
                MigrationCase(.mgmt, testbed.managementAddress(.v4), port, completes: false,
                              "the migration ports are closed beyond the migration NIC"),
                MigrationCase(.mgmt, testbed.managementAddress(.v6), port, completes: false,
                              "the migration ports are closed beyond the migration NIC"),
            ]
        }
        applied += [
            MigrationCase(.trusted, testbed.address(.hv, .v6), first, completes: true,
                          "a peer in a trusted network may migrate"),
            MigrationCase(.untrusted, testbed.address(.hv, .v6), first, completes: false,
                          "an untrusted peer may not migrate"),
        ]
        try await verify(testbed, applied, "policy \(profile.name) applied")

        let hv = testbed.namespace(.hv)
        let deleted = try await onOwnThread {
            try migfw(["delete", "--netns", hv, "--lock-file", scratch.appendingPathComponent("lock").path])
        }
        #expect(deleted.status == 0, "migfw delete: \(deleted.stderr)")
        let tables = try await onOwnThread { try testbed.exec(.hv, ["nft", "list", "tables"]).stdout }
        #expect(!tables.contains("migfw"))
        var reopened: [MigrationCase] = []
        for port in profile.ports {
            reopened.append(MigrationCase(.mgmt, testbed.managementAddress(.v4), port, completes: true, "table deleted"))
            reopened.append(MigrationCase(.mgmt, testbed.managementAddress(.v6), port, completes: true, "table deleted"))
        }
        reopened.append(MigrationCase(.untrusted, testbed.address(.hv, .v4), first, completes: true, "table deleted"))
        try await verify(testbed, reopened, "after migfw delete")
    }

    /// Writes the testbed's policy for `profile` (`testbed.sh policy PROFILE`: dedicated,
    /// egress free) and applies it in the hypervisor namespace.
    private func apply(_ testbed: Testbed, _ profile: MigrationProfile, scratch: URL) async throws {
        let result = try await onOwnThread {
            try testbed.apply(try Testbed.policy(profile: profile.name, dedicated: true, egress: false), on: .hv, scratch: scratch)
        }
        try #require(result.status == 0, "migfw apply (\(profile)): \(result.stderr)")
    }

    /// Runs every migration of `cases` (one port's after another, the ports in parallel) and
    /// checks each outcome.
    private func verify(_ testbed: Testbed, _ cases: [MigrationCase], _ state: String) async throws {
        let results = try await onOwnThread { try migrateAll(testbed, cases) }
        let wrong = cases.indices.filter { (results[$0] == "completed") != cases[$0].completes }
        let report = wrong.map { index in
            let wanted = cases[index].completes ? "completed" : "no migration"
            return "  \(cases[index]): \(results[index]), expected \(wanted) (\(cases[index].rule))"
        }
        #expect(wrong.isEmpty,
                "\(state): \(wrong.count) of \(cases.count) migrations went the wrong way:\n\(report.joined(separator: "\n"))")
    }
}

/// A hypervisor profile's migration ports the QEMU migrations exercise (DESIGN.md's table:
/// the first and last port of a range, or the one port).
struct MigrationProfile: Sendable, CustomStringConvertible {
    var name: String
    var ports: [UInt16]
    var description: String { name }

    static let all: [MigrationProfile] = [
        MigrationProfile(name: "libvirt", ports: [49152, 49215]),
        MigrationProfile(name: "proxmox", ports: [60000]),
    ]
}

/// One migration: a VM from `from` to the hypervisor at `address`, `port`, and whether the
/// firewall's state should let it complete.
struct MigrationCase: Sendable, CustomStringConvertible {
    var from: Testbed.Node
    var address: String
    var port: UInt16
    var completes: Bool
    var rule: String

    init(_ from: Testbed.Node, _ address: String, _ port: UInt16, completes: Bool, _ rule: String) {
        self.from = from
        self.address = address
        self.port = port
        self.completes = completes
        self.rule = rule
    }

    var description: String {
        address.contains(":") ? "\(from) -> [\(address)]:\(port)" : "\(from) -> \(address):\(port)"
    }

    /// How long the source waits: a migration that is let through completes in well under a
    /// second; one that is dropped never does.
    var timeout: Double { completes ? 10 : 3 }
}

/// Runs every case, returning the result lines in the order of `cases`. Migrations to one
/// port run one after another (the destination QEMU holds the port), ports in parallel.
func migrateAll(_ testbed: Testbed, _ cases: [MigrationCase]) throws -> [String] {
    let byPort = Dictionary(grouping: cases.indices, by: { cases[$0].port })
    let groups = Array(byPort.values)
    let results = Mutex<[Int: String]>([:])
    let failures = Mutex<[String]>([])
    DispatchQueue.concurrentPerform(iterations: groups.count) { group in
        for index in groups[group] {
            let migration = cases[index]
            do {
                let line = try migrateVM(testbed, from: migration.from, to: migration.address,
                                         port: migration.port, timeout: migration.timeout)
                results.withLock { $0[index] = line }
            } catch {
                failures.withLock { $0.append("\(migration): \(error)") }
            }
        }
    }
    if let failure = failures.withLock({ $0.first }) { throw MigrationFailed(message: failure) }
    let all = results.withLock { $0 }
    return cases.indices.map { all[$0]! }
}

/// Migrates a QEMU VM from `node` to the hypervisor (`qemu-migrate.sh`), bounded by `timeout`
/// seconds from the start of the migration; returns the script's result line: `completed`,
/// `failed: REASON` or `timeout`. Throws when the script could not set up (exit 2).
func migrateVM(_ testbed: Testbed, from node: Testbed.Node, to address: String, port: UInt16,
               timeout: Double) throws -> String {
    let result = try run(["bash", QEMUGate.script, testbed.name, node.rawValue, Testbed.Node.hv.rawValue,
                          address, String(port), "-t", String(timeout)])
    let line = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let valid = line == "completed" || line == "timeout" || line.hasPrefix("failed: ")
    guard result.status != 2, valid, (result.status == 0) == (line == "completed") else {
        throw MigrationFailed(message: "qemu-migrate.sh exited \(result.status): \(result.stderr)\(result.stdout)")
    }
    return line
}

struct MigrationFailed: Error, CustomStringConvertible {
    var message: String
    var description: String { "QEMU migration: \(message)" }
}

/// QEMU for the migration tests. Without it they are skipped, loudly; when kernel tests are
/// required (CI, which installs qemu-system-x86) they run anyway, and fail.
enum QEMUGate {
    static let binary = "qemu-system-x86_64"
    static let script = packageRoot.appendingPathComponent("Tests/Testbed/qemu-migrate.sh").path

    static var installed: Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(binary)")
        }
    }

    static var available: Bool {
        if installed { return true }
        FileHandle.standardError.write(Data(
            "WARNING: migfw QEMU migration tests SKIPPED: no \(binary) (apt-get install qemu-system-x86)\n".utf8))
        return KernelGate.required
    }
}
