import Foundation
import Testing
import TestSupport

/// `migfw check` run as a program: output and exit status for every sample and bad file.
@Suite struct CheckTests {
    static let profiles = packageRoot.appendingPathComponent("templates/profiles").path
    static let corpus = packageRoot.appendingPathComponent("Tests/PolicyTests/Corpus")

    static func samples() -> [String] {
        let directory = packageRoot.appendingPathComponent("samples")
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted()
            .map { directory.appendingPathComponent($0).path }
    }

    static func check(_ arguments: [String]) throws -> CommandResult {
        try migfw(["check"] + arguments, environment: ["MIGFW_PROFILES_DIR": profiles])
    }

    @Test(arguments: samples())
    func samplePassesCheck(_ path: String) throws {
        let result = try Self.check(["-c", path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // Samples lint clean: no error, no warning.
        #expect(!result.stdout.contains(": error:") && !result.stdout.contains(": warning:"), "\(result.stdout)")
        #expect(result.stdout.hasSuffix("\(path): ok\n"), "\(result.stdout)")
    }

    @Test func thereIsASamplePerProfileAndTheSeedScenario() {
        let names = Set(Self.samples().map { URL(fileURLWithPath: $0).lastPathComponent })
        for name in ["hyperv", "libvirt", "proxmox", "vmware", "xen", "custom", "seed-dev-to-prod"] {
            #expect(names.contains("\(name).yaml"))
        }
    }

    @Test func seedScenarioPrintsNothingButOk() throws {
        let path = packageRoot.appendingPathComponent("samples/seed-dev-to-prod.yaml").path
        let result = try Self.check(["-c", path])
        #expect(result.status == 0)
        #expect(result.stdout == "\(path): ok\n")
        #expect(result.stderr.isEmpty)
    }

    @Test func invalidFileReportsEveryProblemAndExits2() throws {
        let path = Self.corpus.appendingPathComponent("all-at-once.yaml").path
        let result = try Self.check(["-c", path])
        #expect(result.status == 2)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("\(path):5:12: error: dedicated: expected true or false, found 'maybe' [type]"))
        #expect(lines.contains("\(path):7:14: error: trusted.networks[0]: '192.168.1.0/16' has host bits set past the prefix length [prefix]"))
        #expect(lines.contains("\(path):7:14: note: did you mean 192.168.0.0/16 (the whole network) or 192.168.1.0/24 (the smaller one)?"))
        #expect(lines.contains("\(path):8:3: error: trusted.networks: duplicate key (first written at line 7) [duplicate-key]"))
        #expect(lines.contains("\(path):9:18: error: exclude[0]: '10.1.0.256' has an IPv4 octet above 255 [prefix]"))
        #expect(lines.last == "\(path): invalid policy, 4 errors")
    }

    @Test func lintErrorExits1AndWarningsExit0() throws {
        let broad = try Self.check(["-c", Self.corpus.appendingPathComponent("lint-everything.yaml").path])
        #expect(broad.status == 1)
        #expect(broad.stdout.contains(": error: '0.0.0.0/0' trusts every IPv4 address in a dedicated migration network [broad-prefix]"))
        let credssp = try Self.check(["-c", Self.corpus.appendingPathComponent("lint-credssp.yaml").path])
        #expect(credssp.status == 0)
        #expect(credssp.stdout.contains(": warning: authentication: CredSSP"))
        #expect(credssp.stdout.contains(": note: use Kerberos with constrained delegation (authentication: kerberos)"))
        #expect(credssp.stdout.hasSuffix(": 0 errors, 1 warning, 0 notes\n"))
    }

    @Test func jsonOutputForPrograms() throws {
        let path = Self.corpus.appendingPathComponent("lint-credssp.yaml").path
        let result = try Self.check(["-c", path, "--json"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == true)
        #expect(object["warnings"] as? Int == 1)
        #expect(object["errors"] as? Int == 0)
        let findings = try #require(object["findings"] as? [[String: Any]])
        #expect(findings.count == 1)
        #expect(findings.first?["id"] as? String == "credssp")
        #expect(findings.first?["severity"] as? String == "warning")
        #expect(findings.first?["file"] as? String == path)
        #expect(findings.first?["line"] as? Int == 5)
        #expect(findings.first?["column"] as? Int == 17)
        #expect((findings.first?["hint"] as? String)?.contains("Kerberos") == true)
    }

    @Test func jsonOutputForAnInvalidFileExits2() throws {
        let path = Self.corpus.appendingPathComponent("bool-maybe.yaml").path
        let result = try Self.check(["-c", path, "--json"])
        #expect(result.status == 2)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == false)
        let findings = try #require(object["findings"] as? [[String: Any]])
        #expect(findings.map { $0["id"] as? String } == ["type"])
        #expect(findings.first?["line"] as? Int == 5)
        #expect(findings.first?["column"] as? Int == 12)
    }

    @Test func missingFileExits2() throws {
        let result = try Self.check(["-c", "/nonexistent/migfw.yaml"])
        #expect(result.status == 2)
        #expect(result.stdout.contains("/nonexistent/migfw.yaml:1:1: error: cannot read the policy file: no such file [unreadable]"))
    }

    @Test func invalidArgumentsExit2() throws {
        let unknown = try Self.check(["--no-such-option"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("Unknown option '--no-such-option'"))
        let missingValue = try Self.check(["-c"])
        #expect(missingValue.status == 2)
    }

    @Test func profileDirectoryFromTheEnvironmentWins() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("migfw-profiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("summary: in-house hypervisor\nports: [9000]\n".utf8).write(to: directory.appendingPathComponent("inhouse.yaml"))
        let policy = directory.appendingPathComponent("policy.yaml")
        try Data("version: 1\ninterface: mig0\nprofile: inhouse\ntrusted: {networks: [10.1.0.0/24]}\n".utf8).write(to: policy)
        let result = try migfw(["check", "-c", policy.path], environment: ["MIGFW_PROFILES_DIR": directory.path])
        #expect(result.status == 0, "\(result.stdout)")
        // Without the variable the profile is unknown, and the error lists what is known.
        let without = try migfw(["check", "-c", policy.path], environment: ["MIGFW_PROFILES_DIR": ""])
        #expect(without.status == 2)
        #expect(without.stdout.contains("note: known profiles: custom, hyperv, libvirt, proxmox, vmware, xen"))
    }
}

/// Every corpus file through the binary: the exit status and each expected line, with the
/// file name in front as the binary prints it.
@Suite struct CheckCorpusTests {
    static func corpusFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: CheckTests.corpus.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test(arguments: corpusFiles())
    func corpusFile(_ name: String) throws {
        let path = CheckTests.corpus.appendingPathComponent(name).path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n")
        let status = try #require(lines.first { $0.hasPrefix("# expect-exit: ") }.flatMap { Int32($0.dropFirst(15)) })
        let result = try CheckTests.check(["-c", path])
        #expect(result.status == status, "\(result.stdout)")
        for expected in lines.filter({ $0.hasPrefix("# expect: ") }).map({ $0.dropFirst(10) }) {
            // `FILE:LINE:...` names a file next to the policy; `LINE:...` the policy itself.
            let line = expected.first!.isNumber
                ? "\(path):\(expected)"
                : "\(CheckTests.corpus.path)/\(expected)"
            #expect(result.stdout.split(separator: "\n").contains(Substring(line)), "missing \(line) in \(result.stdout)")
        }
    }
}
