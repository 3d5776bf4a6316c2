import Foundation
@testable import Policy
import Testing

@Suite struct ProfileTests {
    @Test func packagedProfilesAreTheDesignsOnes() throws {
        #expect(Repo.profiles.names == ["custom", "hyperv", "libvirt", "proxmox", "vmware", "xen"])
        let expected: [String: [String]] = [
            "custom": [], "hyperv": ["tcp/6600"], "libvirt": ["tcp/49152-49215", "tcp/16514", "tcp/16509"],
            "proxmox": ["tcp/60000-60050", "tcp/22"], "vmware": ["tcp/8000"], "xen": ["tcp/8002", "tcp/8003"],
        ]
        for (name, ports) in expected {
            let path = try #require(Repo.profiles.path(for: name))
            let definition = try ProfileCatalog.read(name: name, path: path)
            #expect(definition.profile.ports.map(\.description) == ports, "\(name)")
            #expect(!definition.profile.summary.isEmpty)
        }
        let hyperv = try ProfileCatalog.read(name: "hyperv", path: try #require(Repo.profiles.path(for: "hyperv")))
        #expect(hyperv.performanceOptions.mapValues { $0.map(\.description) } == ["tcpip": [], "compression": [], "smb": ["tcp/445"]])
    }

    @Test func searchPathOrder() {
        #expect(ProfileCatalog.standardDirectories(environment: ["MIGFW_PROFILES_DIR": "/opt/mine"])
            == ["/opt/mine", "/etc/migfw/profiles", "/usr/share/migfw/profiles"])
        #expect(ProfileCatalog.standardDirectories(environment: [:])
            == ["/etc/migfw/profiles", "/usr/share/migfw/profiles"])
    }

    /// The compiled-in texts are exactly templates/profiles (templates/embed-profiles.sh).
    @Test func builtinProfilesAreTheTemplateFilesByteForByte() throws {
        let directory = Repo.root.appendingPathComponent("templates/profiles")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }
        var texts: [String: String] = [:]
        for file in files {
            texts[String(file.dropLast(5))] = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
        }
        #expect(!texts.isEmpty)
        #expect(Set(ProfileCatalog.builtinTexts.keys) == Set(texts.keys),
                "run templates/embed-profiles.sh after adding or removing a profile")
        for (name, text) in texts {
            #expect(ProfileCatalog.builtinTexts[name] == text, "built-in '\(name)' differs: run templates/embed-profiles.sh")
        }
    }

    @Test func builtinProfilesResolveWithNoDirectory() throws {
        let catalog = ProfileCatalog(directories: ["/nonexistent/migfw-profiles"])
        #expect(catalog.names == ["custom", "hyperv", "libvirt", "proxmox", "vmware", "xen"])
        #expect(catalog.source(for: "libvirt") == .builtin)
        #expect(catalog.source(for: "nosuch") == nil)
        #expect(catalog.source(for: "../etc/passwd") == nil)
        let libvirt = try catalog.read(name: "libvirt", source: .builtin)
        #expect(libvirt.profile.ports.map(\.description) == ["tcp/49152-49215", "tcp/16514", "tcp/16509"])
        #expect(libvirt.source == .builtin)
        let hyperv = try catalog.read(name: "hyperv", source: .builtin)
        #expect(hyperv.performanceOptions["smb"]?.map(\.description) == ["tcp/445"])
        // Without built-ins and directories nothing is known.
        #expect(ProfileCatalog(directories: [], builtins: [:]).names.isEmpty)
    }

    @Test func aFileOverridesTheBuiltinAndAddsNewNames() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("vmware.yaml", "summary: vMotion on a non-default port\nports: [8100]\n")
        try scratch.write("inhouse.yaml", "summary: in-house\nports: [9000]\n")
        let catalog = ProfileCatalog(directories: [scratch.url.path])
        let path = scratch.url.appendingPathComponent("vmware.yaml").path
        #expect(catalog.source(for: "vmware") == .file(path))
        #expect(try catalog.read(name: "vmware", source: .file(path)).profile.ports.map(\.description) == ["tcp/8100"])
        #expect(catalog.source(for: "xen") == .builtin)
        #expect(catalog.names == ["custom", "hyperv", "inhouse", "libvirt", "proxmox", "vmware", "xen"])
    }

    @Test func anEarlierDirectoryOverridesALaterOne() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("vmware.yaml", "summary: vMotion on a non-default port\nports: [8100]\n")
        let catalog = ProfileCatalog(directories: [scratch.url.path] + Repo.profiles.directories)
        #expect(catalog.path(for: "vmware") == scratch.url.appendingPathComponent("vmware.yaml").path)
        #expect(catalog.path(for: "xen") == Repo.root.appendingPathComponent("templates/profiles/xen.yaml").path)
        #expect(catalog.names == ["custom", "hyperv", "libvirt", "proxmox", "vmware", "xen"])
    }

    @Test func anInvalidProfileFileIsReportedWhereItIsWrong() throws {
        let scratch = try ScratchDirectory()
        let profiles = try ScratchDirectory()
        try profiles.write("broken.yaml", "summary: x\nports: [8000, 99999]\nportz: []\n")
        let path = try scratch.write("policy.yaml", "version: 1\ninterface: mig0\nprofile: broken\ntrusted: {networks: [10.1.0.0/24]}\n")
        do {
            _ = try PolicyLoader.load(path: path, profiles: ProfileCatalog(directories: [profiles.url.path]))
            Issue.record("loaded a policy with a broken profile")
        } catch {
            #expect(error.findings.map { "\(URL(fileURLWithPath: $0.location.file).lastPathComponent):\($0.location.line):\($0.location.column) \($0.message)" } == [
                "policy.yaml:3:10 profile: the profile file \(profiles.url.path)/broken.yaml is invalid",
                "broken.yaml:2:15 ports[1]: '99999' is not a port number (1-65535)",
                "broken.yaml:3:1 portz: unknown key",
            ])
        }
    }

    @Test func suggestions() {
        #expect(Suggestion.closest(to: "hostz", among: ["networks", "hosts", "files"]) == "hosts")
        #expect(Suggestion.closest(to: "netwroks", among: ["networks", "hosts", "files"]) == "networks")
        #expect(Suggestion.closest(to: "kerb", among: ["kerberos", "credssp"]) == "kerberos")
        #expect(Suggestion.closest(to: "banana", among: ["networks", "hosts", "files"]) == nil)
    }
}
