import Foundation
import Testing
import TestSupport

/// No lockout: in dedicated mode, apply refuses a migration NIC that carries the default route
/// or the current SSH session, unless --force.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"))
struct LockoutTests {
    static let sample = packageRoot.appendingPathComponent("samples/libvirt.yaml").path

    /// A namespace whose mig0 is up with 192.0.2.10/24 (and, when asked, the default route).
    func withAddressedNIC<T>(defaultRoute: Bool, _ body: (TestNamespace) throws -> T) throws -> T {
        try withMigrationNamespace(tag: "lockout") { namespace in
            try namespace.exec(["ip", "link", "set", "mig0p", "up"])
            try namespace.exec(["ip", "link", "set", "mig0", "up"])
            try namespace.exec(["ip", "addr", "add", "192.0.2.10/24", "dev", "mig0"])
            if defaultRoute {
                try namespace.exec(["ip", "route", "add", "default", "via", "192.0.2.1", "dev", "mig0", "onlink"])
            }
            return try body(namespace)
        }
    }

    @Test func defaultRouteNICIsRefusedWithoutForce() throws {
        try withAddressedNIC(defaultRoute: true) { namespace in
            let refused = try migfw(["apply", "-c", Self.sample, "--netns", namespace.name])
            #expect(refused.status == 2, "\(refused.stderr)")
            #expect(refused.stderr.contains("carries the default route"), "\(refused.stderr)")
            #expect(refused.stderr.contains("libvirt.yaml:"), "\(refused.stderr)")
            #expect(try namespace.ruleset().isEmpty)

            let forced = try migfw(["apply", "-c", Self.sample, "--netns", namespace.name, "--force"])
            #expect(forced.status == 0, "\(forced.stderr)")
            #expect(try namespace.ruleset().contains("table inet migfw"))
        }
    }

    @Test func sshSessionArrivingOnTheNICIsRefused() throws {
        try withAddressedNIC(defaultRoute: false) { namespace in
            let session = ["SSH_CONNECTION": "192.0.2.99 50000 192.0.2.10 22"]
            let refused = try migfw(["apply", "-c", Self.sample, "--netns", namespace.name], environment: session)
            #expect(refused.status == 2, "\(refused.stderr)")
            #expect(refused.stderr.contains("SSH session"), "\(refused.stderr)")
            #expect(try namespace.ruleset().isEmpty)

            let elsewhere = ["SSH_CONNECTION": "198.51.100.7 50000 203.0.113.5 22"]
            let applied = try migfw(["apply", "-c", Self.sample, "--netns", namespace.name], environment: elsewhere)
            #expect(applied.status == 0, "\(applied.stderr)")
        }
    }

    /// Through `sudo`: the variable is gone from migfw's environment (env_reset), but the
    /// shell that started it has it; the guard still refuses.
    @Test func sshSessionIsFoundThroughAResetEnvironment() throws {
        try withAddressedNIC(defaultRoute: false) { namespace in
            let shell = "env -u SSH_CONNECTION \(migfwBinary) apply -c \(Self.sample) --netns \(namespace.name); exit $?"
            let refused = try run(["bash", "-c", shell], environment: ["SSH_CONNECTION": "192.0.2.99 50000 192.0.2.10 22"])
            #expect(refused.status == 2, "\(refused.stderr)")
            #expect(refused.stderr.contains("SSH session"), "\(refused.stderr)")
            #expect(try namespace.ruleset().isEmpty)
        }
    }
}
