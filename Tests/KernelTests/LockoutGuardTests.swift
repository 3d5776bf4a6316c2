import Engine
import Policy
import Prefix
import Testing

@Suite struct LockoutGuardTests {
    static let mig0Address: AnyCIDR = .v4(CIDR(host: IPv4Address(192, 0, 2, 10)))

    func guardFor(ssh: String?, defaultRoute: Set<String>) -> LockoutGuard {
        LockoutGuard(sshConnection: ssh, defaultRouteInterfaces: defaultRoute,
                     addresses: { $0 == "mig0" ? [LockoutGuardTests.mig0Address] : [] })
    }

    @Test func refusesTheDefaultRouteInterfaceInDedicatedMode() {
        let guardrail = guardFor(ssh: nil, defaultRoute: ["mig0"])
        #expect(throws: LockoutGuard.Risk.self) { try guardrail.check(interface: "mig0", dedicated: true) }
        #expect(throws: Never.self) { try guardrail.check(interface: "mig0", dedicated: false) }
    }

    @Test func refusesTheInterfaceTheSSHSessionArrivesOn() {
        let guardrail = guardFor(ssh: "198.51.100.7 51234 192.0.2.10 22", defaultRoute: ["eth0"])
        #expect(throws: LockoutGuard.Risk.self) { try guardrail.check(interface: "mig0", dedicated: true) }
        #expect(throws: Never.self) { try guardrail.check(interface: "mig1", dedicated: true) }
    }

    @Test func acceptsAnUnrelatedInterface() {
        let guardrail = guardFor(ssh: "198.51.100.7 51234 203.0.113.1 22", defaultRoute: ["eth0"])
        #expect(throws: Never.self) { try guardrail.check(interface: "mig0", dedicated: true) }
    }
}

@Suite struct LockoutGuardAddressFormTests {
    static let v4: AnyCIDR = .v4(CIDR(host: IPv4Address(192, 0, 2, 10)))
    static let linkLocal: AnyCIDR = .v6(CIDR(host: IPv6Address(bits: 0xfe80 << 112 | 1)))

    func guardFor(ssh: String) -> LockoutGuard {
        LockoutGuard(sshConnection: ssh, defaultRouteInterfaces: ["eth0"],
                     addresses: { $0 == "mig0" ? [Self.v4, Self.linkLocal] : [] })
    }

    @Test func anIPv4MappedServerAddressMatchesTheIPv4Address() {
        let guardrail = guardFor(ssh: "::ffff:198.51.100.7 51234 ::ffff:192.0.2.10 22")
        #expect(throws: LockoutGuard.Risk.self) { try guardrail.check(interface: "mig0", dedicated: true) }
        #expect(throws: Never.self) { try guardrail.check(interface: "mig1", dedicated: true) }
    }

    @Test func aZoneScopedServerAddressMatchesWithoutItsZone() {
        let guardrail = guardFor(ssh: "fe80::2%mig0 51234 fe80::1%mig0 22")
        #expect(throws: LockoutGuard.Risk.self) { try guardrail.check(interface: "mig0", dedicated: true) }
    }

    @Test func anUnrelatedMappedAddressStillPasses() {
        let guardrail = guardFor(ssh: "::ffff:198.51.100.7 51234 ::ffff:203.0.113.1 22")
        #expect(throws: Never.self) { try guardrail.check(interface: "mig0", dedicated: true) }
    }
}

/// Host mode closes migration-only ports on the other NICs (#19): an SSH session that
/// arrives at such a port on another NIC would be cut off at its next login.
@Suite struct LockoutGuardOtherInterfaceTests {
    static let closed = [PortRange(lower: 49152, upper: 49215)!]

    func guardFor(ssh: String) -> LockoutGuard {
        LockoutGuard(sshConnection: ssh, defaultRouteInterfaces: ["eth0"],
                     addresses: { $0 == "mig0" ? [LockoutGuardTests.mig0Address] : [] })
    }

    @Test func refusesASessionOnAClosedPortOfAnotherNIC() {
        let guardrail = guardFor(ssh: "198.51.100.7 51234 203.0.113.1 49160")
        #expect(throws: LockoutGuard.Risk.self) {
            try guardrail.checkOtherInterfaces(migrationInterfaces: ["mig0"], closed: Self.closed)
        }
    }

    @Test func acceptsASessionOnTheMigrationNICOrAnotherPort() {
        #expect(throws: Never.self) {
            try guardFor(ssh: "198.51.100.7 51234 192.0.2.10 49160").checkOtherInterfaces(migrationInterfaces: ["mig0"], closed: Self.closed)
        }
        #expect(throws: Never.self) {
            try guardFor(ssh: "198.51.100.7 51234 203.0.113.1 22").checkOtherInterfaces(migrationInterfaces: ["mig0"], closed: Self.closed)
        }
        #expect(throws: Never.self) {
            try LockoutGuard(sshConnection: nil, defaultRouteInterfaces: [], addresses: { _ in [] })
                .checkOtherInterfaces(migrationInterfaces: ["mig0"], closed: Self.closed)
        }
    }

    @Test func theRiskSaysWhatWouldClose() {
        do {
            try guardFor(ssh: "198.51.100.7 51234 203.0.113.1 49160").checkOtherInterfaces(migrationInterfaces: ["mig0"], closed: Self.closed)
            Issue.record("no risk reported")
        } catch {
            #expect(error.description == "refusing to lock down port 49160 on every NIC but mig0: the current SSH session arrives at 203.0.113.1 port 49160, which is migration-only (49152-49215) and would be closed there; use --force if this is intended")
        }
    }
}
