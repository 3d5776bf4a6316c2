import Foundation
import Testing
import TestSupport

/// `migfw compile`, run as the built binary.
@Suite struct CompileTests {
    static let policy = """
        version: 1
        interface: mig0
        profile: libvirt
        dedicated: true
        egress: true
        trusted:
          networks: [192.168.10.0/24, "2001:db8:10::/64"]
          hosts:
            - 192.168.20.11
            - { name: hv-b, address: 192.168.20.12 }
        exclude: [192.168.10.1]
        log: { drops: true, rate: 10/second }

        """

    @Test func printsLoadableTextByDefault() throws {
        try CompileFixture.withPolicy(Self.policy) { path in
            let result = try migfw(["compile", "-c", path])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.hasPrefix("table inet migfw {\n"))
            #expect(result.stdout.contains("\tset trusted4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = {\n"
                + "\t\t\t192.168.10.0,\n\t\t\t192.168.10.2-192.168.10.255,\n\t\t\t192.168.20.11-192.168.20.12\n\t\t}\n"))
            #expect(result.stdout.contains("\t\t\t2001:db8:10::/64\n"))
            #expect(result.stdout.contains("\t\tip saddr @trusted4 tcp dport @tcp_ports counter accept\n"))
            #expect(result.stdout.contains("\tchain output {\n"))
            #expect(result.stderr.isEmpty)
        }
    }

    @Test func jsonIsAnNftablesDocument() throws {
        try CompileFixture.withPolicy(Self.policy) { path in
            let result = try migfw(["compile", "-c", path, "--format", "json"])
            #expect(result.status == 0, "\(result.stderr)")
            let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            let objects = document?["nftables"] as? [[String: Any]] ?? []
            #expect(objects.first?.keys.first == "metainfo")
            let kinds = objects.compactMap(\.keys.first)
            #expect(kinds.filter { $0 == "set" }.count == 6)  // trusted4/6, tcp_ports, tcp_migration_only, refused4/6
            #expect(kinds.filter { $0 == "chain" }.count == 4)  // migration_in/out, input, output
        }
    }

    @Test func cidrPrintsTheMinimalCover() throws {
        try CompileFixture.withPolicy(Self.policy) { path in
            let result = try migfw(["compile", "-c", path, "--format", "cidr"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == """
                192.168.10.0/32
                192.168.10.2/31
                192.168.10.4/30
                192.168.10.8/29
                192.168.10.16/28
                192.168.10.32/27
                192.168.10.64/26
                192.168.10.128/25
                192.168.20.11/32
                192.168.20.12/32
                2001:db8:10::/64

                """)
        }
    }

    @Test func invalidPolicyExitsTwoWithLocatedErrors() throws {
        try CompileFixture.withPolicy(Self.policy + "colour: blue\n") { path in
            let result = try migfw(["compile", "-c", path])
            #expect(result.status == 2)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("\(path):"))
            #expect(result.stderr.contains("error:"))
        }
    }

    @Test func missingPolicyFileExitsTwo() throws {
        let result = try migfw(["compile", "-c", "/nonexistent/migfw.yaml"])
        #expect(result.status == 2)
        #expect(!result.stderr.isEmpty)
    }

    @Test func unknownFormatIsRejected() throws {
        try CompileFixture.withPolicy(Self.policy) { path in
            let result = try migfw(["compile", "-c", path, "--format", "xml"])
            #expect(result.status != 0)
            #expect(result.stdout.isEmpty)
        }
    }
}

/// Loads `migfw compile` output into nftables, and runs it without privileges.
@Suite(.enabled(if: KernelGate.available))
struct CompileKernelTests {
    @Test(arguments: ["nft", "json"])
    func outputLoadsIntoNftables(format: String) throws {
        try CompileFixture.withPolicy(CompileTests.policy) { path in
            let result = try migfw(["compile", "-c", path, "--format", format])
            #expect(result.status == 0, "\(result.stderr)")
            let listing = try withNamespace(tag: "cmp") { namespace in
                let file = path + ".out"
                try result.stdout.write(toFile: file, atomically: true, encoding: .utf8)
                try namespace.exec(["nft"] + (format == "json" ? ["-j"] : []) + ["-f", file])
                return try namespace.exec(["nft", "list", "table", "inet", "migfw"]).stdout
            }
            #expect(listing.contains("ip saddr @trusted4 tcp dport @tcp_ports counter packets 0 bytes 0 accept"))
            #expect(listing.contains("elements = { 192.168.10.0, 192.168.10.2-192.168.10.255,"))
        }
    }

    @Test func needsNoPrivileges() throws {
        try CompileFixture.withPolicy(CompileTests.policy) { path in
            let result = try run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                  "--inh-caps=-all", migfwBinary, "compile", "-c", path])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.hasPrefix("table inet migfw {"))
        }
    }
}

enum CompileFixture {
    /// Writes `yaml` to a fresh world-readable temporary file for the duration of `body`.
    static func withPolicy(_ yaml: String, _ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("migfw-compile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("migfw.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        try body(path)
    }
}

/// Every shipped sample compiles, and both output formats load into nftables.
@Suite(.enabled(if: KernelGate.available))
struct SampleCompileTests {
    static var samples: [String] {
        let directory = packageRoot.appendingPathComponent("samples").path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { directory + "/" + $0 }
    }

    @Test func thereAreSamples() { #expect(Self.samples.count >= 6) }

    @Test(arguments: samples)
    func sampleLoadsAsTextAndJSON(path: String) throws {
        var listings: [String] = []
        for format in ["nft", "json"] {
            let result = try migfw(["compile", "-c", path, "--format", format])
            #expect(result.status == 0, "\(path): \(result.stderr)")
            listings.append(try withNamespace(tag: "smp") { namespace in
                let file = FileManager.default.temporaryDirectory
                    .appendingPathComponent("migfw-sample-\(UUID().uuidString)").path
                try result.stdout.write(toFile: file, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(atPath: file) }
                try namespace.exec(["nft"] + (format == "json" ? ["-j"] : []) + ["-f", file])
                return try namespace.exec(["nft", "list", "ruleset"]).stdout
            })
        }
        // Host mode and a routed gateway: table inet migfw; a bridged gateway: table bridge migfw.
        #expect(listings[0].hasPrefix("table inet migfw {") || listings[0].hasPrefix("table bridge migfw {"))
        #expect(listings[0] == listings[1], "\(path): text and JSON list differently")
    }
}

/// The example ruleset of docs/host-mode.md is what `migfw compile` prints for the policy it
/// describes.
@Suite struct ReadmeRulesetTests {
    @Test func readmeExampleIsCurrent() throws {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("docs/host-mode.md"), encoding: .utf8)
        guard let section = readme.range(of: "## The ruleset"),
              let open = readme.range(of: "```\n", range: section.upperBound..<readme.endIndex),
              let close = readme.range(of: "```\n", range: open.upperBound..<readme.endIndex) else {
            Issue.record("docs/host-mode.md has no example in \"## The ruleset\"")
            return
        }
        try CompileFixture.withPolicy(CompileTests.policy) { path in
            let result = try migfw(["compile", "-c", path])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(String(readme[open.upperBound..<close.lowerBound]) == result.stdout)
        }
    }
}
