import Foundation
import Netlink
import Prefix
import Ruleset

/// An in-memory nf_tables for one table, behind the engine's ``KernelSession`` seam: a
/// generation id bumped by every commit, all-or-nothing batches, compare-and-swap
/// (``NetlinkError/generationChanged`` on a stale id), element adds and deletes that fail
/// as the kernel's do (EEXIST, ENOENT), and faults injected on demand. Only for fault
/// injection: everything it stands in for is tested against the real kernel too.
final class FakeKernel: KernelSession {
    /// What the kernel holds (nil: no migfw table).
    private(set) var table: Table?
    private(set) var generationID: UInt32 = 1
    /// Batches committed, in order.
    private(set) var committed: [Batch] = []

    /// Another tool commits right before each of the next `n` sends (their ids go stale).
    var concurrentCommitsBeforeSend = 0
    /// The next send fails at operation `index` (0-based) with this errno; nothing applies.
    var rejectOperation: (index: Int, errno: Int32)?
    /// The next `n` reads fail as a dump interrupted by a commit (EINTR).
    var interruptedDumps = 0
    /// Changes what the kernel holds right after the next commit (a fault in what it stored).
    var corruptAfterCommit: ((inout Table) -> Void)?

    init(table: Table? = nil) {
        self.table = table
    }

    func generation() throws -> UInt32 { generationID }

    func tableExists(family: TableFamily, name: String) throws -> Bool {
        table.map { $0.family == family && $0.name == name } ?? false
    }

    /// Table reads (dumps) so far, and element dumps and lookups.
    private(set) var tableReads = 0, elementReads = 0
    /// Table and element reads since the last commit (what a verification read).
    var readsSinceCommit: Int { tableReads + elementReads - readsAtCommit }
    private var readsAtCommit = 0

    func readTable(family: TableFamily, name: String, elements: Bool) throws -> TableSnapshot? {
        tableReads += 1
        if interruptedDumps > 0 {
            interruptedDumps -= 1
            throw NetlinkError.kernel(operation: "dump", errno: EINTR, extack: nil)
        }
        guard var held = table, held.family == family, held.name == name else { return nil }
        if !elements { held.sets = held.sets.map { Self.emptied($0) } }
        return TableSnapshot(table: held, generation: generationID)
    }

    func send(_ batch: Batch, expectedGeneration: UInt32?) throws -> NetlinkSession.Receipt {
        if concurrentCommitsBeforeSend > 0 {
            concurrentCommitsBeforeSend -= 1
            bump()
        }
        if rejectEverything { throw NetlinkError.kernel(operation: "batch", errno: ENOMEM, extack: "injected") }
        if let expected = expectedGeneration, expected != 0, expected != generationID {
            throw NetlinkError.generationChanged
        }
        var working = table
        for (index, operation) in batch.operations.enumerated() {
            if let reject = rejectOperation, reject.index == index {
                rejectOperation = nil
                throw NetlinkError.kernel(operation: "\(operation)", errno: reject.errno, extack: "injected")
            }
            try Self.apply(operation, family: batch.family, name: batch.table, to: &working)
        }
        if var stored = working, let corrupt = corruptAfterCommit {
            corruptAfterCommit = nil
            corrupt(&stored)
            working = stored
        }
        table = working
        readsAtCommit = tableReads + elementReads
        committed.append(batch)
        bump()
        return NetlinkSession.Receipt(messages: batch.operations.count + 2, bytes: 0, encodeSeconds: 0, kernelSeconds: 0)
    }

    func readElements(family: TableFamily, table name: String, set: NamedSet) throws -> SetElements {
        elementReads += 1
        guard let held = table?.set(named: set.name) else {
            throw NetlinkError.kernel(operation: "dump set \(set.name)", errno: ENOENT, extack: nil)
        }
        return held.elements
    }

    func checkElements(family: TableFamily, table name: String, set: NamedSet) throws -> String? {
        try readElements(family: family, table: name, set: set) == set.elements ? nil : "set \(set.name) differs"
    }

    /// Every later send fails (a kernel that refuses everything from now on).
    var rejectEverything = false

    private func bump() { generationID = generationID == .max ? 1 : generationID + 1 }

    // MARK: - The kernel's rules for each operation

    private static func apply(_ operation: Batch.Operation, family: TableFamily, name: String, to table: inout Table?) throws {
        func fail(_ errno: Int32) -> NetlinkError { .kernel(operation: "\(operation)", errno: errno, extack: nil) }
        if case .addTable(let userdata, let flags) = operation {
            if table == nil { table = Table(family: family, name: name, userdata: userdata) }
            table!.flags = flags
            return
        }
        if case .deleteTableOfFamily(let other) = operation {
            // The fake holds one table at a time: a mode change's retired table is that one.
            guard table?.family == other else { throw fail(ENOENT) }
            table = nil
            return
        }
        guard var current = table else { throw fail(ENOENT) }
        switch operation {
        case .deleteTableOfFamily:
            break
        case .addTable:
            break
        case .deleteTable:
            table = nil
            return
        case .addSet(let set):
            guard current.set(named: set.name) == nil else { throw fail(EEXIST) }
            current.sets.append(set)
        case .deleteSet(let name):
            guard let index = current.sets.firstIndex(where: { $0.name == name }) else { throw fail(ENOENT) }
            current.sets.remove(at: index)
        case .addElements(let name, let elements):
            guard let index = current.sets.firstIndex(where: { $0.name == name }) else { throw fail(ENOENT) }
            current.sets[index].elements = try merged(current.sets[index].elements, adding: elements, fail: fail)
        case .deleteElements(let name, let elements):
            guard let index = current.sets.firstIndex(where: { $0.name == name }) else { throw fail(ENOENT) }
            current.sets[index].elements = try removed(current.sets[index].elements, elements, fail: fail)
        case .addChain(let chain):
            guard current.chain(named: chain.name) == nil else { throw fail(EEXIST) }
            current.chains.append(chain)
        case .deleteChain(let name):
            guard let index = current.chains.firstIndex(where: { $0.name == name }) else { throw fail(ENOENT) }
            guard current.chains[index].rules.isEmpty else { throw fail(EBUSY) }
            current.chains.remove(at: index)
        case .flushChain(let name):
            guard let index = current.chains.firstIndex(where: { $0.name == name }) else { throw fail(ENOENT) }
            current.chains[index].rules = []
        case .addRule(let chain, let rule):
            guard let index = current.chains.firstIndex(where: { $0.name == chain }) else { throw fail(ENOENT) }
            current.chains[index].rules.append(rule)
        }
        table = current
    }

    static func emptied(_ set: NamedSet) -> NamedSet {
        var copy = set
        switch set.elements {
        case .ipv4: copy.elements = .ipv4([])
        case .ipv6: copy.elements = .ipv6([])
        case .ports: copy.elements = .ports([])
        case .unknown(let type, let length, _): copy.elements = .unknown(keyType: type, keyLength: length, elements: [])
        }
        return copy
    }

    /// Adds intervals; one overlapping an element already there is EEXIST, as in the kernel.
    private static func merged(_ held: SetElements, adding: SetElements, fail: (Int32) -> NetlinkError) throws -> SetElements {
        func add<A>(_ have: [AddressRange<A>], _ more: [AddressRange<A>]) throws -> [AddressRange<A>] {
            for range in more where have.contains(where: { $0.lower <= range.upper && range.lower <= $0.upper }) {
                throw fail(EEXIST)
            }
            return (have + more).sorted { $0.lower < $1.lower }
        }
        switch (held, adding) {
        case (.ipv4(let have), .ipv4(let more)): return .ipv4(try add(have, more))
        case (.ipv6(let have), .ipv6(let more)): return .ipv6(try add(have, more))
        case (.ports(let have), .ports(let more)): return .ports((have + more).sorted { $0.lowerBound < $1.lowerBound })
        default: throw fail(EINVAL)
        }
    }

    /// Deletes intervals by exact match; one that is not there is ENOENT, as in the kernel.
    private static func removed(_ held: SetElements, _ gone: SetElements, fail: (Int32) -> NetlinkError) throws -> SetElements {
        func remove<T: Equatable>(_ have: [T], _ less: [T]) throws -> [T] {
            var result = have
            for item in less {
                guard let index = result.firstIndex(of: item) else { throw fail(ENOENT) }
                result.remove(at: index)
            }
            return result
        }
        switch (held, gone) {
        case (.ipv4(let have), .ipv4(let less)): return .ipv4(try remove(have, less))
        case (.ipv6(let have), .ipv6(let less)): return .ipv6(try remove(have, less))
        case (.ports(let have), .ports(let less)): return .ports(try remove(have, less))
        default: throw fail(EINVAL)
        }
    }
}
