import Engine
import Foundation
import Glibc
import Testing
import TestSupport

/// Files a local user could redirect (issue #15, class 2): every file migfw creates or
/// replaces, tried as root against a directory another account (nobody) owns, with symlinks
/// planted at every name migfw used to write through.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct OwnFilesTests {
    static let nobody: uid_t = 65534

    /// A directory owned by another account, as a textfile-collector directory may be.
    static func foreignDirectory(in lab: PlanLab, _ name: String) throws -> String {
        let path = lab.directory.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        #expect(chown(path, nobody, nobody) == 0)
        #expect(chmod(path, 0o755) == 0)
        return path
    }

    /// A file that must never be written through a symlink: its content, to compare after.
    static func victim(in lab: PlanLab) throws -> (path: String, content: String) {
        let path = lab.directory.appendingPathComponent("victim").path
        let content = "precious \(UInt32.random(in: 0...UInt32.max))\n"
        try content.write(toFile: path, atomically: false, encoding: .utf8)
        return (path, content)
    }

    /// The metrics textfile: the target name and the temporary names the old code used
    /// (`.NAME.PID.tmp`, for the next few hundred PIDs) are symlinks to a victim.
    @Test func metricsNeverFollowAPlantedSymlink() throws {
        try withPlanLab(tag: "fmet") { lab in
            #expect(try lab.run("apply").status == 0)
            let directory = try Self.foreignDirectory(in: lab, "textfile")
            let victim = try Self.victim(in: lab)
            let target = directory + "/migfw.prom"
            #expect(symlink(victim.path, target) == 0)
            let last = Int((try? String(contentsOfFile: "/proc/sys/kernel/ns_last_pid", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
            for pid in (last + 1)...(last + 400) { _ = symlink(victim.path, "\(directory)/.migfw.prom.\(pid).tmp") }
            let result = try lab.run("reconcile", ["--metrics-file", target])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try String(contentsOfFile: victim.path, encoding: .utf8) == victim.content, "victim overwritten")
            // The symlink itself was replaced by a plain, world-readable file of root's.
            var info = stat()
            #expect(lstat(target, &info) == 0)
            #expect(info.st_mode & S_IFMT == S_IFREG)
            #expect(info.st_mode & 0o777 == 0o644)
            #expect(try String(contentsOfFile: target, encoding: .utf8).contains("migfw_in_sync 1"))
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { name in
                    guard name.hasPrefix(".migfw.prom.") else { return false }
                    var link = stat()
                    return lstat(directory + "/" + name, &link) == 0 && link.st_mode & S_IFMT == S_IFREG
                }
            #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
        }
    }

    /// The lock file: a symlink at its name is refused (it used to be opened with O_CREAT
    /// through the link, creating or opening any file as root).
    @Test func lockFileThatIsASymlinkIsRefused() throws {
        try withPlanLab(tag: "flock") { lab in
            let victim = lab.directory.appendingPathComponent("created-by-root").path
            #expect(symlink(victim, lab.lockFile) == 0)
            let result = try lab.run("apply")
            #expect(result.status == 1)
            #expect(result.stderr.contains("symbolic link"), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: victim), "the lock was opened through the symlink")
            #expect(try lab.ruleset().isEmpty)
            // A hard link to another file is refused too.
            unlink(lab.lockFile)
            let other = try Self.victim(in: lab)
            #expect(link(other.path, lab.lockFile) == 0)
            let linked = try lab.run("apply")
            #expect(linked.status == 1)
            #expect(linked.stderr.contains("hard links"), "\(linked.stderr)")
        }
    }

    /// A state directory another account can write: `apply --confirm` (pending file,
    /// rollback record) is refused before anything is committed, and a record planted there
    /// is not believed: a forged "in sync" record no longer hides a rogue element.
    @Test func foreignStateDirectoryIsNeitherUsedNorBelieved() throws {
        try withPlanLab(tag: "fstate") { lab in
            #expect(try lab.run("apply").status == 0)
            #expect(try lab.run("reconcile").status == 0)
            // A rogue element, then a record that vouches for the kernel as it is now.
            try lab.nft("add", "element", "inet", "migfw", "trusted4", "{ 6.6.6.6 }")
            let statePath = ApplyState.path(directory: lab.stateDirectory, namespace: lab.namespace.name)
            var forged = try #require(ApplyState.load(path: statePath))
            forged.generation = try Applier(namespace: lab.namespace.name, stateDirectory: lab.stateDirectory).generation()
            try forged.save(path: statePath)
            // Hand the directory to another account.
            #expect(chown(lab.stateDirectory, Self.nobody, Self.nobody) == 0)
            let reconciled = try lab.run("reconcile")
            #expect(reconciled.status == 2, "the forged record was believed: \(reconciled.stderr)")
            #expect(reconciled.stderr.contains("6.6.6.6"))
            #expect(!(try lab.nft("list", "set", "inet", "migfw", "trusted4")).contains("6.6.6.6"))
            // --confirm needs a private directory for its pending file: refused, nothing applied.
            let before = try lab.ruleset()
            try lab.writePolicy(extraTrusted: ["10.50.0.0/16"])
            let confirmed = try lab.run("apply", ["--confirm", "5"])
            #expect(confirmed.status == 1)
            #expect(confirmed.stderr.contains("owned by uid 65534"), "\(confirmed.stderr)")
            #expect(try lab.ruleset() == before)
        }
    }

    /// A full disk: the pending file cannot be written, so `apply --confirm` stops before the
    /// commit, and neither a temporary nor an empty pending file is left behind; the
    /// metrics write fails cleanly too. Runs in a private mount namespace on an 8 KiB tmpfs.
    @Test func fullDiskLeavesNoTemporaryOrEmptyFiles() throws {
        try withPlanLab(tag: "ffull") { lab in
            let mountPoint = lab.directory.appendingPathComponent("small").path
            try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
            let state = mountPoint + "/state"
            let script = """
                set -u
                mount -t tmpfs -o size=8k,mode=0755 tmpfs '\(mountPoint)' || exit 90
                mkdir -m 0700 '\(state)'
                dd if=/dev/zero of='\(mountPoint)/fill' bs=1k count=64 2>/dev/null
                '\(migfwBinary)' apply --netns \(lab.namespace.name) --state-dir '\(state)' -c '\(lab.policyPath)' \
                    --lock-file '\(lab.lockFile)' --confirm 5 < /dev/null > /dev/null 2>&1
                echo "apply=$?"
                echo "tables=$(ip netns exec \(lab.namespace.name) nft list tables | wc -l)"
                MIGFW_LOG=stderr '\(migfwBinary)' reconcile --netns \(lab.namespace.name) --state-dir '\(lab.stateDirectory)' \
                    -c '\(lab.policyPath)' --lock-file '\(lab.lockFile)' --metrics-file '\(mountPoint)/migfw.prom' > /dev/null 2>&1
                echo "reconcile=$?"
                ls -A '\(mountPoint)' '\(state)' | tr '\\n' ' '
                """
            let result = try run(["unshare", "-m", "--propagation", "private", "sh", "-c", script])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("apply=1"), "\(result.stdout)")
            #expect(result.stdout.contains("tables=0"), "nothing may be committed when the pending file cannot be written")
            #expect(result.stdout.contains("reconcile=1"), "\(result.stdout)")
            #expect(!result.stdout.contains(".tmp"), "temporary file left: \(result.stdout)")
            #expect(!result.stdout.contains("confirm-"), "pending file left: \(result.stdout)")
            #expect(!result.stdout.contains("migfw.prom"), "partial metrics file: \(result.stdout)")
        }
    }
}
