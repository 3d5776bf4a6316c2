import Foundation
@testable import Policy
import Prefix
import Testing

/// Gateway mode's keys: strict like the rest, located errors, and v1 policies unchanged.
@Suite struct GatewayPolicyTests {
    static let head = "version: 1\ninterface: prod0\nprofile: hyperv\ntrusted:\n  networks: [10.10.30.0/24]\n"
    static let gateway = head + "mode: gateway\ngateway: { via: routed }\nprotected:\n  hosts: [10.20.30.21, \"fd00:20::21\"]\n"

    @Test func aPolicyWithoutModeIsHostModeAsBefore() throws {
        let scratch = try ScratchDirectory()
        let policy = try loadPolicy(Self.head, in: scratch)
        #expect(policy.mode == .host)
        #expect(policy.gateway == nil)
        #expect(policy.dedicated, "dedicated still defaults to true in host mode")
        #expect(try loadPolicy(Self.head + "mode: host\n", in: scratch) == policy.with(path: policy.path))
    }

    @Test func gatewayModeReadsHowTheBoxSitsAndWhatItProtects() throws {
        let scratch = try ScratchDirectory()
        let policy = try loadPolicy(Self.gateway, in: scratch)
        #expect(policy.mode == .gateway)
        #expect(policy.gateway?.via == .routed)
        #expect(policy.gateway?.protected.hosts.map(\.address.value.description) == ["10.20.30.21/32", "fd00:20::21/128"])
        #expect(policy.gateway?.location.line == 8)
        #expect(!policy.dedicated, "a gateway filters migration ports only")
        #expect(policy.protectedSet().ipv4.count == 1 && policy.protectedSet().ipv6.count == 1)
        let bridged = try loadPolicy(Self.gateway.replacingOccurrences(of: "via: routed", with: "via: bridge"), in: scratch)
        #expect(bridged.gateway?.via == .bridge)
    }

    @Test func gatewayKeysWithoutGatewayModeAreErrors() throws {
        let scratch = try ScratchDirectory()
        let errors = try loadErrors(Self.head + "protected:\n  hosts: [10.20.30.21]\ngateway: { via: routed }\n", in: scratch)
        #expect(errors.map(\.id) == ["gateway-key", "gateway-key"])
        #expect(errors.map(\.location.line) == [6, 8])
        #expect(errors.first?.message == "protected: only meaningful in gateway mode")
    }

    @Test func gatewayModeNeedsProtectedAndVia() throws {
        let scratch = try ScratchDirectory()
        let noProtected = try loadErrors(Self.head + "mode: gateway\ngateway: { via: routed }\n", in: scratch)
        #expect(noProtected.map(\.message) == ["protected: missing required key"])
        let noGateway = try loadErrors(Self.head + "mode: gateway\nprotected: { hosts: [10.20.30.21] }\n", in: scratch)
        #expect(noGateway.map(\.message) == ["gateway: missing required key"])
        let noVia = try loadErrors(Self.head + "mode: gateway\ngateway: {}\nprotected: { hosts: [10.20.30.21] }\n", in: scratch)
        #expect(noVia.map(\.message) == ["gateway.via: missing required key"])
    }

    @Test func wrongValuesAndUnknownKeysAreLocated() throws {
        let scratch = try ScratchDirectory()
        let badVia = try loadErrors(Self.gateway.replacingOccurrences(of: "via: routed", with: "via: nat"), in: scratch)
        #expect(badVia.count == 1)
        #expect(badVia.first?.location.line == 7)
        #expect(badVia.first?.message.contains("gateway.via") == true)
        let badMode = try loadErrors(Self.gateway.replacingOccurrences(of: "mode: gateway", with: "mode: router"), in: scratch)
        #expect(badMode.first?.location.line == 6)
        #expect(badMode.contains { $0.message.contains("mode") })
        let unknown = try loadErrors(Self.gateway.replacingOccurrences(of: "{ via: routed }", with: "{ via: routed, bridge: br0 }"), in: scratch)
        #expect(unknown.map(\.id) == ["unknown-key"])
        #expect(unknown.first?.location.line == 7)
        let unknownInProtected = try loadErrors(Self.gateway + "  hostz: [10.20.30.22]\n", in: scratch)
        #expect(unknownInProtected.map(\.id) == ["unknown-key"])
        #expect(unknownInProtected.first?.location.line == 10)
    }

    @Test func dedicatedTrueMeansNothingInGatewayMode() throws {
        let scratch = try ScratchDirectory()
        let errors = try loadErrors(Self.gateway + "dedicated: true\n", in: scratch)
        #expect(errors.map(\.id) == ["dedicated"])
        #expect(errors.first?.location.line == 10)
        #expect(try loadPolicy(Self.gateway + "dedicated: false\n", in: scratch).dedicated == false)
    }

    @Test func protectedHostsAreStrictLikeTrustedHosts() throws {
        let scratch = try ScratchDirectory()
        let errors = try loadErrors(Self.gateway.replacingOccurrences(of: "10.20.30.21,", with: "10.20.30.0/24,"), in: scratch)
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("protected.hosts[0]") == true)
        #expect(errors.first?.hint?.contains("protected.networks") == true)
        let hostBits = try loadErrors(Self.gateway + "  networks: [10.20.30.1/24]\n", in: scratch)
        #expect(hostBits.first?.location.line == 10)
        #expect(hostBits.first?.message.contains("protected.networks") == true)
    }

    @Test func lintsNameWhatTheGatewayCannotSee() throws {
        let scratch = try ScratchDirectory()
        let yaml = "version: 1\ninterface: prod0\nprofile: hyperv\nmode: gateway\ngateway: { via: routed }\n"
            + "trusted:\n  networks: [10.10.30.0/24]\n  hosts: [10.20.30.5]\nprotected:\n  networks: [10.20.30.0/24]\n"
        let findings = PolicyLinter.lint(try loadPolicy(yaml, in: scratch))
        #expect(findings.contains { $0.id == "protected-segment" && $0.severity == .info && $0.location.line == 10 })
        #expect(findings.contains { $0.id == "trusted-on-protected-segment" && $0.location.line == 8 })
        #expect(!findings.contains { $0.id == "trusted-on-protected-segment" && $0.location.line == 7 })
        let empty = PolicyLinter.lint(try loadPolicy(yaml.replacingOccurrences(of: "  networks: [10.20.30.0/24]\n", with: "  hosts: []\n"), in: scratch))
        #expect(empty.contains { $0.id == "empty-protected-set" && $0.severity == .error })
        #expect(PolicyLinter.errors(try loadPolicy(yaml.replacingOccurrences(of: "  networks: [10.20.30.0/24]\n", with: "  hosts: []\n"), in: scratch))
                    .map(\.id) == ["empty-protected-set"])
        let credssp = PolicyLinter.lint(try loadPolicy(yaml + "authentication: credssp\n", in: scratch))
        #expect(credssp.contains { $0.id == "credssp" && $0.severity == .warning })
    }
}

extension Policy {
    func with(path: String) -> Policy {
        var copy = self
        copy.path = path
        return copy
    }
}
