import Engine
import Foundation
import Testing
import TestSupport

/// The state record is tied to a namespace by its cookie: a namespace deleted and created
/// again under the same name (which usually gets the same nsfs inode back) is another one,
/// and a record from the old one must not describe it.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct NamespaceIdentityTests {
    static func inode(_ name: String) throws -> UInt64 {
        try #require((try FileManager.default.attributesOfItem(atPath: "/run/netns/\(name)"))[.systemFileNumber] as? UInt64)
    }

    @Test func recreatedNamespaceIsAnotherOne() throws {
        let first = try TestNamespace(tag: "nsid")
        defer { first.destroy() }
        let name = first.name
        let cookie = ApplyState.namespaceID(name)
        #expect(cookie != 0)
        #expect(ApplyState.namespaceID(name) == cookie)
        #expect(ApplyState.namespaceID(nil) != cookie)
        let state = ApplyState(namespaceID: cookie, generation: 1, digest: 2, sets: [])
        #expect(state.belongs(toNamespace: name))

        first.destroy()
        try runChecked(["ip", "netns", "add", name])
        defer { _ = try? run(["ip", "netns", "del", name]) }
        #expect(ApplyState.namespaceID(name) != cookie)
        #expect(!state.belongs(toNamespace: name))
        // What the old identity (the nsfs inode) would have said, for the record.
        print("recreated namespace \(name): nsfs inode \(try Self.inode(name)), cookie \(cookie) -> \(ApplyState.namespaceID(name))")
    }

    @Test func unreadableNamespaceMatchesNoState() {
        #expect(ApplyState.namespaceID("mfwt-no-such-namespace") == 0)
        let state = ApplyState(namespaceID: 0, generation: 1, digest: 2, sets: [])
        #expect(!state.belongs(toNamespace: "mfwt-no-such-namespace"))
    }
}
