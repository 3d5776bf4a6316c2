import Foundation
import Testing
import TestSupport

/// The testbed itself: its probes tell the outcomes apart, and it never outlives its run.
@Suite(.enabled(if: KernelGate.available, "testbed tests need root"))
struct PacketTestbedTests {
    private struct Boom: Error {}

    @Test func probesTellOpenRefusedAndSilentApart() throws {
        try withTestbed { testbed in
            try testbed.listen(on: .hv, ports: [6600])
            let hv4 = testbed.address(.hv, .v4), hv6 = testbed.address(.hv, .v6)
            let open = [Probe(from: .trusted, to: hv4, port: 6600), Probe(from: .untrusted, to: hv6, port: 6600),
                        Probe(from: .mgmt, to: testbed.managementAddress(.v4), port: 6600)]
            let refused = [Probe(from: .trusted, to: hv4, port: 6601), Probe(from: .excluded, to: hv6, port: 6601)]
            // On the segment's prefix, but nobody answers neighbour discovery for it.
            let silent = [Probe(from: .host, to: "192.168.99.99", port: 6600)]
            let outcomes = try testbed.probe(open + refused + silent, timeout: 1)
            for probe in open { #expect(outcomes[probe] == .open, "\(probe)") }
            for probe in refused { #expect(outcomes[probe] == .refused, "\(probe)") }
            for probe in silent { #expect(outcomes[probe] == .timeout, "\(probe)") }
        }
    }

    @Test func everythingIsRemovedWhenTheBodyThrows() throws {
        let port = UInt16.random(in: 40000...40999)
        var name = ""
        #expect(throws: Boom.self) {
            try withTestbed { testbed in
                name = testbed.name
                try testbed.listen(on: .hv, ports: [port])
                #expect(listenerCount(port: port) == 1)
                throw Boom()
            }
        }
        try #require(name.hasPrefix("mfwt-tb-"))
        #expect(!(try run(["ip", "netns", "list"]).stdout.contains(name)))
        #expect(listenerCount(port: port) == 0, "the listener outlived its testbed")
        #expect(!FileManager.default.fileExists(atPath: "/run/mfwt-testbed/\(name)"))
    }

    @Test func gcRemovesATestbedWhoseCreatorDied() throws {
        // Owned by a shell that exits as soon as the testbed is up.
        let created = try runChecked(["bash", "-c", "bash \(Testbed.script) up --owner $$; true"])
        let name = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(name.hasPrefix("mfwt-tb-"))
        defer { _ = try? run(["bash", Testbed.script, "down", name]) }
        try runChecked(["bash", Testbed.script, "gc"])
        #expect(!(try run(["ip", "netns", "list"]).stdout.contains(name)))
    }

    @Test func aLiveCreatorsTestbedSurvivesGC() throws {
        try withTestbed { testbed in
            try runChecked(["bash", Testbed.script, "gc"])
            #expect(try run(["ip", "netns", "list"]).stdout.contains(testbed.namespace(.hv)))
        }
    }

    @Test func theCallersNamespaceGainsNoLinks() throws {
        // Only the testbed's own link names count: other suites may add links here meanwhile.
        let testbedLinks: Set = ["mig0", "mgmt0", "br0", "eth0", "hv", "trusted", "host", "untrusted", "excluded"]
        let before = try links()
        try withTestbed { _ in
            let appeared = try links().subtracting(before).intersection(testbedLinks)
            #expect(appeared.isEmpty, "testbed links appeared in the caller's namespace: \(appeared)")
        }
    }

    /// Interface names in the test process's own namespace (only read).
    private func links() throws -> Set<String> {
        let output = try runChecked(["ip", "-o", "link", "show"]).stdout
        return Set(output.split(separator: "\n").compactMap { line in
            line.split(separator: ":", maxSplits: 2).dropFirst().first.map {
                String($0.trimmingCharacters(in: .whitespaces).split(separator: "@").first ?? "")
            }
        })
    }

    /// Processes running `tcp.py listen` with `port` among their ports.
    private func listenerCount(port: UInt16) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { $0.allSatisfy(\.isNumber) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.contains { $0.hasSuffix("tcp.py") } && arguments.contains("listen")
                && arguments.contains(String(port))
        }.count
    }
}
