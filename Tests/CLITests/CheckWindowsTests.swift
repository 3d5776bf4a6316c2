import Foundation
import Testing
import TestSupport

/// `check` holds a policy meant for Windows to what `render` accepts: what check passes,
/// render renders; what render refuses, check reports (exit 1, id `windows`).
@Suite struct CheckWindowsTests {
    /// A scratch policy file, removed afterwards.
    func withPolicy<T>(_ text: String, _ body: (String) throws -> T) throws -> T {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("migfw-checkwin-\(UUID().uuidString).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try body(path)
    }

    static func policy(names: [String], windows: String) -> String {
        """
        version: 1
        interface: mig0
        profile: hyperv
        authentication: kerberos
        trusted:
          networks: [10.40.0.0/24]
          hosts:
        \(names.enumerated().map { "    - { name: \($0.element), address: 10.40.0.\($0.offset + 21) }" }.joined(separator: "\n"))
        \(windows)

        """
    }

    @Test func aHostNameRenderCannotFindFailsCheckToo() throws {
        try withPolicy(Self.policy(names: ["hv1", "hv2"], windows: "windows: { interface_alias: LM }")) { path in
            let check = try migfw(["check", "-c", path])
            #expect(check.status == 1, "\(check.stdout)")
            #expect(check.stdout.contains("trusted.hosts[0].name: 'hv1' has no domain, so its Active Directory account cannot be found [windows]"))
            #expect(try migfw(["render", "--target", "ad", "-c", path]).status == 2)
        }
        try withPolicy(Self.policy(names: ["hv1", "hv2"], windows: "windows: { interface_alias: LM, domain: prod.example.com }")) { path in
            let check = try migfw(["check", "-c", path])
            #expect(check.status == 0, "\(check.stdout)")
            #expect(try migfw(["render", "--target", "ad", "-c", path]).status == 0)
            #expect(try migfw(["render", "--target", "hyperv", "-c", path]).status == 0)
        }
    }

    @Test func smbWithoutTheNICsAliasFailsCheckLikeRender() throws {
        let text = """
            version: 1
            interface: mig0
            profile: hyperv
            performance: smb
            trusted: { networks: [10.40.0.0/24] }

            """
        try withPolicy(text) { path in
            let check = try migfw(["check", "-c", path])
            #expect(check.status == 1)
            #expect(check.stdout.contains("TCP 445 is a migration port, but the policy names no Windows migration NIC"))
            #expect(try migfw(["render", "--target", "hyperv", "-c", path]).status == 2)
        }
    }

    @Test func aGatewayInFrontOfHyperVIsNotHeldToWindowsRules() throws {
        let sample = packageRoot.appendingPathComponent("samples/seed-dev-to-prod-gateway.yaml").path
        #expect(try migfw(["check", "-c", sample]).status == 0)
        #expect(try migfw(["render", "--target", "hyperv", "-c", sample]).status == 2)
    }

    /// The property itself, on every sample meant for Windows: check passes => render accepts.
    @Test func everyWindowsSampleCheckPassesRendersToo() throws {
        let directory = packageRoot.appendingPathComponent("samples").path
        var tried = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".yaml") {
            let path = directory + "/" + name
            let text = try String(contentsOfFile: path, encoding: .utf8)
            guard text.contains("\nwindows:") || (text.contains("profile: hyperv") && !text.contains("mode: gateway")) else { continue }
            tried += 1
            if try migfw(["check", "-c", path]).status == 0 {
                #expect(try migfw(["render", "--target", "hyperv", "-c", path]).status == 0, "\(name): check passed, render refused")
            }
        }
        #expect(tried >= 2, "samples meant for Windows: \(tried)")
    }
}

extension CheckWindowsTests {
    /// A fleet's per-host policy names only the host's peers: one named host passes check
    /// (render --target ad, which needs two, is for the policy written for AD).
    @Test func onePeerNamedPassesCheck() throws {
        try withPolicy(Self.policy(names: ["hv2.prod.example.com"], windows: "windows: { interface_alias: LM }")) { path throws in
            #expect(try migfw(["check", "-c", path]).status == 0)
            #expect(try migfw(["render", "--target", "hyperv", "-c", path]).status == 0)
        }
    }
}
