import Foundation
import TestSupport

/// Debian's libvirt configuration files as its packages ship them, fetched at test time
/// (`apt-get download`, `dpkg-deb -x`) and never committed: files no one here wrote.
///
/// Without apt (or without a package index) the tests that need them are skipped, loudly;
/// under CI (`MIGFW_REQUIRE_KERNEL_TESTS=1`) that is a failure instead.
enum DebianLibvirt {
    static let packages = ["libvirt-daemon-driver-qemu", "libvirt-daemon-system"]

    /// The extracted tree (etc/libvirt/qemu.conf, lib/systemd/system/...), or nil when the
    /// packages cannot be fetched here.
    static let tree: String? = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("migfw-debian-libvirt").path
        let root = directory + "/root"
        if FileManager.default.fileExists(atPath: root + "/etc/libvirt/qemu.conf") { return root }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard let download = try? run(["/bin/sh", "-c", "cd '\(directory)' && apt-get download \(packages.joined(separator: " "))"]),
              download.status == 0 else { return nil }
        let debs = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".deb") }
        for deb in debs {
            guard (try? run(["dpkg-deb", "-x", directory + "/" + deb, root]))?.status == 0 else { return nil }
        }
        return FileManager.default.fileExists(atPath: root + "/etc/libvirt/qemu.conf") ? root : nil
    }()

    /// Whether the tests may run; warns once when they are skipped.
    static var available: Bool {
        if tree != nil { return true }
        FileHandle.standardError.write(Data("WARNING: migfw audit tests on Debian's libvirt files SKIPPED: apt-get download \(packages.joined(separator: " ")) failed\n".utf8))
        return KernelGate.required
    }

    /// The shipped text of `file` (`/etc/libvirt/qemu.conf`).
    static func text(_ file: String) throws -> String {
        guard let tree else { throw MissingTree() }
        return try String(contentsOfFile: tree + file, encoding: .utf8)
    }

    struct MissingTree: Error {}
}

/// A copy of a shipped file with lines changed in place, so that line numbers stay those of
/// the shipped file.
struct MutatedFile {
    var lines: [String]

    init(_ text: String) { lines = text.components(separatedBy: "\n") }

    var text: String { lines.joined(separator: "\n") }

    /// The 1-based line of the first line that is exactly `line` after trimming.
    func line(_ line: String) -> Int? {
        lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == line }.map { $0 + 1 }
    }

    /// Replaces the shipped commented-out default of `name` (`#name = ...`), or the statement
    /// an earlier `set` put there, with `statement`; returns its line.
    @discardableResult
    mutating func set(_ name: String, _ statement: String) -> Int {
        let starts = ["#\(name) =", "#\(name)=", "\(name) =", "\(name)="]
        guard let index = lines.firstIndex(where: { line in starts.contains { line.hasPrefix($0) } }) else {
            lines.append(statement)
            return lines.count
        }
        lines[index] = statement
        return index + 1
    }

    /// Adds `statement` at the end; returns its line.
    @discardableResult
    mutating func append(_ statement: String) -> Int {
        if lines.last == "" { lines.insert(statement, at: lines.count - 1); return lines.count - 1 }
        lines.append(statement)
        return lines.count
    }

    /// The line of the commented-out default of `name`.
    func commented(_ name: String) -> Int? {
        lines.firstIndex { $0.hasPrefix("#\(name) =") || $0.hasPrefix("#\(name)=") }.map { $0 + 1 }
    }
}
