import Foundation
import Testing
import TestSupport

/// `migfw profiles`: what is known and where each profile comes from.
@Suite struct ProfilesCommandTests {
    /// Each output line as its words.
    static func words(_ text: String) -> [[String]] {
        text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
    }

    func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("migfw-profiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func builtinsAreListedWithNoProfileDirectory() throws {
        let result = try migfw(["profiles"], environment: ["MIGFW_PROFILES_DIR": "/nonexistent/migfw-profiles"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = Self.words(result.stdout)
        #expect(lines.first == ["PROFILE", "PORTS", "SOURCE"])
        #expect(lines.dropFirst().map { $0[0] } == ["custom", "hyperv", "libvirt", "proxmox", "vmware", "xen"])
        #expect(lines.contains(["libvirt", "tcp/49152-49215", "tcp/16514", "tcp/16509", "built-in"]))
        // Unless /etc/migfw/profiles overrides it on this machine, vmware is the built-in one.
        if !FileManager.default.fileExists(atPath: "/etc/migfw/profiles/vmware.yaml") {
            #expect(lines.contains(["vmware", "tcp/8000", "built-in"]))
        }
    }

    @Test func aDirectoryOverridesAndAddsAndAnInvalidFileExits2() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("summary: vMotion moved\nports: [8100]\n".utf8).write(to: directory.appendingPathComponent("vmware.yaml"))
        try Data("summary: in-house\nports: [9000-9010]\n".utf8).write(to: directory.appendingPathComponent("inhouse.yaml"))
        let good = try migfw(["profiles"], environment: ["MIGFW_PROFILES_DIR": directory.path])
        #expect(good.status == 0, "\(good.stderr)")
        let lines = Self.words(good.stdout)
        #expect(lines.contains(["vmware", "tcp/8100", "\(directory.path)/vmware.yaml", "(overrides", "the", "built-in)"]))
        #expect(lines.contains(["inhouse", "tcp/9000-9010", "\(directory.path)/inhouse.yaml"]))
        #expect(lines.contains(["xen", "tcp/8002", "tcp/8003", "built-in"]))

        try Data("summary: x\nports: [99999]\n".utf8).write(to: directory.appendingPathComponent("broken.yaml"))
        let bad = try migfw(["profiles"], environment: ["MIGFW_PROFILES_DIR": directory.path])
        #expect(bad.status == 2)
        #expect(Self.words(bad.stdout).contains(["broken", "INVALID", "\(directory.path)/broken.yaml"]))
        #expect(bad.stderr.contains("\(directory.path)/broken.yaml:2:9: error:"), "\(bad.stderr)")
    }
}
