import Netlink
import Ruleset
import Testing
@testable import Engine

/// The refused sources as the kernel's dynamic-set elements give them, and their metrics.
@Suite struct RefusedSourcesUnitTests {
    static func element(_ key: [UInt8], packets: UInt64, left: UInt64?) -> DynamicElement {
        DynamicElement(key: key, counter: RuleCounter(packets: packets, bytes: packets * 60),
                       timeoutMilliseconds: 3_600_000, expiresInMilliseconds: left)
    }

    @Test func sourcesAreSortedByPacketsWithLastSeenFromTheExpiry() {
        let sources = RefusedSources.list([
            NamedSet.refused4: [Self.element([192, 0, 2, 7], packets: 3, left: 3_590_000),
                                Self.element([192, 0, 2, 9], packets: 40, left: 3_600_000)],
            NamedSet.refused6: [Self.element([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1], packets: 3, left: nil)],
            "other": [Self.element([10, 0, 0, 1], packets: 1000, left: 0)],
        ])
        #expect(sources == [
            RefusedSource(address: "192.0.2.9", packets: 40, bytes: 2400, lastSeenSecondsAgo: 0),
            RefusedSource(address: "192.0.2.7", packets: 3, bytes: 180, lastSeenSecondsAgo: 10),
            RefusedSource(address: "2001:db8::1", packets: 3, bytes: 180, lastSeenSecondsAgo: nil),
        ])
    }

    @Test func metricsLabelOnlyTheTopFive() {
        var metrics = ReconcileMetrics()
        metrics.refused = (1...8).map { RefusedSource(address: "198.51.100.\($0)", packets: UInt64(100 - $0), bytes: 0, lastSeenSecondsAgo: 1) }
        let lines = metrics.text.split(separator: "\n")
        #expect(lines.contains("migfw_refused_sources 8"))
        let labelled = lines.filter { $0.hasPrefix("migfw_refused_packets{") }.map(String.init)
        #expect(labelled == (1...5).map { "migfw_refused_packets{source=\"198.51.100.\($0)\"} \(100 - $0)" })
        #expect(!ReconcileMetrics().text.contains("refused"), "no refused metrics when they were not read")
    }
}
