import Engine
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
