import Engine
import Foundation
import Netlink
import Prefix
import Ruleset
import Testing
import TestSupport

/// Large trusted sets go in and come back exactly: every interval, not just the count.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct ScaleTests {
    func applyAndReadBack(_ table: Table, tag: String) throws {
        try withMigrationNamespace(tag: tag) { namespace in
            let report = try engineApply(table, namespace: namespace.name)
            #expect(!report.replaced)
            // Independent read-back through a fresh session: content, interval for interval.
            let session = try NetlinkSession(namespace: namespace.name)
            let snapshot = try #require(try session.readTable())
            for set in table.sets {
                let actual = try #require(snapshot.table.set(named: set.name))
                #expect(actual.elements.count == set.elements.count, "\(set.name)")
                #expect(actual == set, "\(set.name): content differs")
            }
            #expect(snapshot.table.sameContent(as: table))
        }
    }

    @Test func hundredThousandIPv4Intervals() throws {
        let ipv4 = randomIPv4Intervals(100_000, seed: 4)
        try applyAndReadBack(try libvirtTable(ipv4: ipv4), tag: "s100k4")
    }

    @Test func hundredThousandIPv6Intervals() throws {
        let ipv6 = randomIPv6Intervals(100_000, seed: 6)
        try applyAndReadBack(try libvirtTable(ipv6: ipv6), tag: "s100k6")
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["MIGFW_SKIP_1M"] != "1"))
    func oneMillionIPv4Intervals() throws {
        let ipv4 = randomIPv4Intervals(1_000_000, seed: 1)
        try applyAndReadBack(try libvirtTable(ipv4: ipv4), tag: "s1m4")
    }
}
