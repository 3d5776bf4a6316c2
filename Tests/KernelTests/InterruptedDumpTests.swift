import CNftnl
import Foundation
@testable import Netlink
import Ruleset
import Testing
import TestSupport

/// A dump that races a commit is flagged NLM_F_DUMP_INTR; the reader must read it to its end
/// before throwing, or the next dump on the same socket fails with EBUSY (review finding P2-5).
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct InterruptedDumpTests {
    /// Stops the committer thread and counts its commits.
    final class Committer: @unchecked Sendable {
        private let lock = NSLock()
        private var stopped = false
        private(set) var commits = 0
        private(set) var failure: String?
        var isStopped: Bool { lock.withLock { stopped } }
        func stop() { lock.withLock { stopped = true } }
        func count() { lock.withLock { commits += 1 } }
        func fail(_ text: String) { lock.withLock { failure = text } }
    }

    /// A set deleted between the set list and its element dump (CI run of 2026-12-07 caught
    /// it as "list elements of set churn: ENOENT") is a concurrent change: the read says
    /// "read again" (EINTR), which callers retry, and the next read is whole.
    @Test func aSetDeletedBetweenDumpsReadsAsInterrupted() throws {
        try withMigrationNamespace(tag: "gone") { namespace in
            let session = try NetlinkSession(namespace: namespace.name)
            let doomed = NamedSet(name: "doomed", elements: .ports([1...1, 5...9]))
            try session.send(Batch.create(Table(sets: [doomed], chains: [Chain(name: "c", rules: [])]), replacing: false))
            let other = try NetlinkSession(namespace: namespace.name)
            var deleted = false
            session.replyTap = { raw in
                // nlmsghdr type at offset 4: subsystem << 8 | message. Delete on the set list.
                let type = raw.loadUnaligned(fromByteOffset: 4, as: UInt16.self)
                guard !deleted, type & 0xff == UInt16(NFT_MSG_NEWSET.rawValue) else { return }
                deleted = true
                try? other.send(Batch(operations: [.deleteSet(doomed.name)]))
            }
            var code: Int32?
            do { _ = try session.readTable() } catch NetlinkError.kernel(_, let errno, _) { code = errno }
            #expect(code == EINTR, "expected an interrupted read, got errno \(code.map(String.init) ?? "none")")
            #expect(deleted)
            session.replyTap = nil
            let again = try #require(try session.readTable())
            #expect(again.table.sets.isEmpty)
            #expect(again.table.chain(named: "c") != nil)
        }
    }

    @Test func readAfterAnInterruptedDumpSucceeds() throws {
        try withMigrationNamespace(tag: "intr") { namespace in
            let session = try NetlinkSession(namespace: namespace.name)
            // ~3,000 rules: a dump of several hundred KiB, many kernel rounds to interleave with.
            let rule = Rule([.counter, .verdict(.accept)])
            try session.send(Batch.create(Table(chains: [Chain(name: "bulk", rules: Array(repeating: rule, count: 3000))]),
                                          replacing: false))

            let committer = Committer()
            let name = namespace.name
            let done = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                defer { done.signal() }
                do {
                    let other = try NetlinkSession(namespace: name)
                    let dummy = NamedSet(name: "churn", elements: .ports([1...1]))
                    while !committer.isStopped {
                        try other.send(Batch(operations: [.addSet(dummy)]))
                        try other.send(Batch(operations: [.deleteSet(dummy.name)]))
                        committer.count()
                    }
                } catch {
                    committer.fail("\(error)")
                }
            }
            var joined = false
            defer {
                if !joined {
                    committer.stop()
                    done.wait()
                }
            }

            var interrupted = 0, complete = 0, afterInterruption = 0
            for _ in 0..<400 where interrupted < 5 {
                do {
                    let snapshot = try #require(try session.readTable())
                    complete += 1
                    if interrupted > 0 { afterInterruption += 1 }
                    #expect(snapshot.table.chain(named: "bulk")?.rules.count == 3000)
                } catch NetlinkError.kernel(_, let code, _) where code == EINTR {
                    interrupted += 1
                }
                // Any other error (EBUSY from a dump left half read) fails the test here.
            }
            committer.stop()
            done.wait()
            joined = true
            #expect(committer.failure == nil, "\(committer.failure ?? "")")
            #expect(interrupted > 0, "no dump was interrupted in 400 reads (\(committer.commits) commits): nothing was tested")
            // The session still reads after the interruptions.
            let final = try #require(try session.readTable())
            #expect(final.table.chain(named: "bulk")?.rules.count == 3000)
        }
    }
}
