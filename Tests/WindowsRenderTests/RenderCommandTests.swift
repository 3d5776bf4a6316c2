import Foundation
import Testing
import TestSupport

/// `migfw render`, run as the built binary: output, refusals and exit codes.
@Suite struct RenderCommandTests {
    static let seed = Fixture.samples.appendingPathComponent("seed-dev-to-prod.yaml").path

    @Test func writesTheSameScriptToAFileAsToStandardOutput() throws {
        let scratch = try ScratchDirectory()
        let file = scratch.url.appendingPathComponent("migfw-hyperv.ps1").path
        let printed = try migfw(["render", "-c", Self.seed, "--target", "hyperv"])
        let written = try migfw(["render", "-c", Self.seed, "--target", "hyperv", "-o", file])
        #expect(printed.status == 0 && written.status == 0, "\(written.stderr)")
        #expect(written.stdout.isEmpty)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == printed.stdout)
        #expect(printed.stdout.hasPrefix("<#\n.SYNOPSIS\n"))
    }

    @Test func unwritableOutputExitsOne() throws {
        let result = try migfw(["render", "-c", Self.seed, "--target", "ad", "-o", "/nonexistent-dir/migfw-ad.ps1"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("migfw: cannot write /nonexistent-dir/migfw-ad.ps1: "))
    }

    @Test func unknownTargetExitsTwo() throws {
        let result = try migfw(["render", "-c", Self.seed, "--target", "windows"])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
    }

    @Test func invalidPolicyExitsTwoWithItsLine() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("p.yaml", "version: 1\ninterface: mig0\nprofile: hyperv\nwindows: { interface_alias: 'a*b' }\n")
        let result = try migfw(["render", "-c", path, "--target", "hyperv"])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("\(path):4:29: error: windows.interface_alias: the alias contains the wildcard character '*'"), "\(result.stderr)")
    }

    /// A policy `apply` would refuse (lint errors) is not rendered either.
    @Test func lintErrorsAreRefused() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("p.yaml", """
            version: 1
            interface: mig0
            profile: hyperv
            trusted:
              networks: [0.0.0.0/0]

            """)
        let result = try migfw(["render", "-c", path, "--target", "hyperv"])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("migfw render: the policy has errors (see `migfw check`); nothing written"), "\(result.stderr)")
    }

    @Test func credsspRendersWithAWarning() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("p.yaml", """
            version: 1
            interface: mig0
            profile: hyperv
            authentication: credssp
            trusted:
              networks: [10.0.0.0/24]

            """)
        let result = try migfw(["render", "-c", path, "--target", "hyperv"])
        #expect(result.status == 0)
        #expect(result.stderr.hasPrefix("\(path):4:17: warning: authentication: CredSSP"), "\(result.stderr)")
        #expect(result.stdout.contains("Sync-MigfwVMHost -AuthenticationType 'CredSSP'\n"))
    }
}
