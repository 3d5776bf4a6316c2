import Foundation
@testable import Ruleset
import Testing

/// Large sets must render in linear time. The bound is generous (a debug build on a shared
/// 2-core machine); it exists to catch quadratic behaviour, not to measure: the figures come
/// from Tests/Benchmarks/render.sh.
@Suite struct BigSetRenderTests {
    @Test func hundredThousandIntervalsPerFamilyRenderQuickly() throws {
        let table = Table(sets: [BigSets.ipv4Set(count: 100_000), BigSets.ipv6Set(count: 100_000)])
        let clock = ContinuousClock()
        var text = "", json = ""
        let elapsed = try clock.measure {
            text = NftText.render(table)
            json = try NftJSON.render(table)
        }
        // One element a line, plus the table line, 6 lines a set, the blank between and "}".
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count == 200_000 + 1 + 2 * 6 + 1 + 1 + 1)
        #expect(text.contains("\t\t\t10.0.2.7,\n\t\t\t10.0.4.3-10.0.5.44,\n"))
        #expect(json.split(separator: "\n").count == 200_000 + 2 * 2 + 4)
        #expect(elapsed < .seconds(20), "rendering 200k intervals took \(elapsed)")
    }
}
