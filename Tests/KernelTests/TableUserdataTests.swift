import Engine
import Netlink
import Ruleset
import Testing
import TestSupport

/// What the kernel does with table userdata on an existing table: this decides how a
/// reconcile can keep migfw's digest current after an element delta.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"))
struct TableUserdataTests {
    @Test func newTableOnAnExistingTableKeepsItsUserdata() throws {
        try withMigrationNamespace(tag: "udata") { namespace in
            let session = try NetlinkSession(namespace: namespace.name)
            try session.send(Batch(operations: [.addTable(userdata: [0x6d, 1, 0xaa])]))
            try session.send(Batch(operations: [.addTable(userdata: [0x6d, 1, 0xbb])]))
            let userdata = try #require(try session.readTable()).table.userdata
            // 6.18 accepts the update but does not change the userdata (nf_tables_updtable
            // only handles flags): a new digest needs a table rebuild or another place.
            #expect(userdata == [0x6d, 1, 0xaa])
        }
    }
}
