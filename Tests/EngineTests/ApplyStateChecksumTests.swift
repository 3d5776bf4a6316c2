import Engine
import Foundation
import Prefix
import Ruleset
import Testing
import TestSupport

/// The state record carries a checksum (#20): a flipped byte anywhere makes it no record (a
/// full check follows), never a wrong one that plan and reconcile would read differently.
@Suite struct ApplyStateChecksumTests {
    static func withStateFile(_ body: (String) throws -> Void) throws {
        let directory = URL(fileURLWithPath: privateTemporaryDirectory).appendingPathComponent(UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        try body(directory + "/state-test.bin")
    }

    static let state = ApplyState(namespaceID: 7, generation: 42, digest: 0x1234_5678_9abc_def0, sets: [
        NamedSet(name: "trusted4", flags: [.interval], elements: .ipv4([
            AddressRange(lower: IPv4Address(10, 0, 0, 0), upper: IPv4Address(10, 0, 0, 255))!,
        ])),
        NamedSet(name: "tcp_ports", flags: [.interval], elements: .ports([49152...49215])),
    ])

    @Test func aSavedRecordLoadsBack() throws {
        try Self.withStateFile { path in
            try Self.state.save(path: path)
            #expect(ApplyState.load(path: path) == Self.state)
        }
    }

    @Test func everyFlippedByteMakesItNoRecord() throws {
        try Self.withStateFile { path in
            try Self.state.save(path: path)
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            for index in bytes.indices {
                var corrupt = bytes
                corrupt[index] ^= 0x01
                try Data(corrupt).write(to: URL(fileURLWithPath: path))
                #expect(ApplyState.load(path: path) == nil, "byte \(index) flipped, still read")
            }
            // Cut short or grown by a byte: no record either.
            try Data(bytes.dropLast()).write(to: URL(fileURLWithPath: path))
            #expect(ApplyState.load(path: path) == nil)
            try Data(bytes + [0]).write(to: URL(fileURLWithPath: path))
            #expect(ApplyState.load(path: path) == nil)
        }
    }
}
