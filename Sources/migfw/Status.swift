import ArgumentParser
import Engine
import Foundation
import Ruleset

/// `migfw status`: what the kernel holds for migfw now, with counters.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show whether migfw's table (inet migfw, or bridge migfw for a bridged gateway) is loaded, its set sizes and rule counters.",
        discussion: "Needs CAP_NET_ADMIN. Exit 0 ok (loaded or not), 1 kernel error."
    )

    @OptionGroup var namespace: NamespaceOptions
    @OptionGroup var state: StateOptions

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let reports: [StatusReport]
        do {
            reports = try StatusReader.statuses(namespace: namespace.netns, stateDirectory: state.stateDirectory)
        } catch {
            throw exitForKernelFailure(error, command: "status")
        }
        // One report per loaded table (two only while a mode change is half done by hand).
        let shown: [StatusReport?] = reports.isEmpty ? [nil] : reports
        for report in shown {
            print(json ? Self.json(report) : Self.text(report, namespace: namespace.netns), terminator: "")
        }
    }

    static func text(_ report: StatusReport?, namespace: String?) -> String {
        let place = namespace.map { " in network namespace \($0)" } ?? ""
        guard let report else { return "table inet migfw, table bridge migfw: not loaded\(place)\n" }
        var lines = ["table \(report.family.rawValue) migfw: loaded\(place) (ruleset generation \(report.generation))"]
        switch report.digestMatches {
        case true?: lines.append("  digest \(hex(report.storedDigest!)) (matches the table's content)")
        case false?: lines.append("  digest \(hex(report.storedDigest!)) DOES NOT MATCH the content: changed outside migfw")
        case nil: lines.append("  no migfw digest: not created by this version of migfw apply")
        }
        for set in report.sets {
            lines.append("  set \(set.name) (\(set.keyType.rawValue)): \(set.intervals) elements (\(set.kernelElements) kernel elements)")
        }
        var chain = ""
        for rule in report.rules {
            if rule.chain != chain {
                chain = rule.chain
                lines.append("  chain \(chain):")
            }
            let counter = rule.counter.map { "  [\($0.packets) packets, \($0.bytes) bytes]" } ?? ""
            lines.append("    \(rule.text)\(counter)  # handle \(rule.handle)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ report: StatusReport?) -> String {
        guard let report else { return "{\"loaded\":false}\n" }
        let quote = JSONText.quote
        let sets = report.sets.map {
            "{\"name\":\(quote($0.name)),\"type\":\(quote($0.keyType.rawValue)),\"elements\":\($0.intervals),\"kernel_elements\":\($0.kernelElements)}"
        }
        let rules = report.rules.map { rule -> String in
            let counter = rule.counter.map { ",\"packets\":\($0.packets),\"bytes\":\($0.bytes)" } ?? ""
            return "{\"chain\":\(quote(rule.chain)),\"handle\":\(rule.handle),\"rule\":\(quote(rule.text))\(counter)}"
        }
        let digest = report.storedDigest.map { quote(hex($0)) } ?? "null"
        let matches = report.digestMatches.map { $0 ? "true" : "false" } ?? "null"
        return "{\"loaded\":true,\"family\":\(quote(report.family.rawValue)),\"generation\":\(report.generation),\"digest\":\(digest),\"digest_matches\":\(matches),"
            + "\"sets\":[\(sets.joined(separator: ","))],\"rules\":[\(rules.joined(separator: ","))]}\n"
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
