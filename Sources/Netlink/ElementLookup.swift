import CNftnl
import Dispatch
import Foundation
import Glibc
import Ruleset

extension NetlinkSession {
    /// Elements looked up per GETSETELEM request. Each found element comes back in its own
    /// ~4 KiB skb, so the receive buffer is sized for a whole round.
    static let lookupRound = 512

    /// Reads the elements of one set by dump (exact: everything the kernel holds).
    public func readElements(family: TableFamily = .inet, table: String = Table.migfwName, set: NamedSet) throws -> SetElements {
        let elements = try readElements(family: family, table: table, set: set.name, keyLength: set.keyType.keyLength)
        return elements.model(keyType: set.keyType, nftDatatype: set.keyType.nftDatatype ?? 0,
                              interval: set.flags.contains(.interval))
    }

    /// Looks every element of `set` up in the kernel by key (`NFT_MSG_GETSETELEM` without
    /// dump) and checks that the kernel has exactly that key with the same interval-end flag.
    /// Returns nil when all are there, else the first mismatches.
    ///
    /// A dump restarts its walk of the set's tree for every 32 KiB reply, so it costs
    /// O(n²): over a minute for 1M intervals. Lookups cost O(n log n), almost all of it in
    /// the kernel (one reply skb per element), which answers them under RCU: they are shared
    /// out among one session (socket) and thread per core, at most 4. They cannot see
    /// elements that should not be there, so use them for sets created in the same batch as
    /// their elements: the transaction is atomic, nothing else can have added any.
    public func checkElements(family: TableFamily = .inet, table: String = Table.migfwName, set: NamedSet) throws -> String? {
        let expected = try KernelElements(set.elements, interval: set.flags.contains(.interval))
        // The kernel answers lookups under RCU, in parallel: one session (socket) per worker,
        // each looking up its own share of the elements.
        let wanted = min(Self.lookupWorkers, max(1, expected.count / Self.elementsPerWorker))
        var sessions = [self]
        // A session that cannot be opened (out of descriptors, say) means fewer workers, not a failure.
        while sessions.count < wanted, let another = try? NetlinkSession(namespace: namespace) { sessions.append(another) }
        let job = LookupJob(sessions: sessions, expected: expected, family: family, table: table, set: set.name)
        if sessions.count == 1 { job.run(0) } else { DispatchQueue.concurrentPerform(iterations: sessions.count, execute: job.run) }
        var problems: [String] = []
        for outcome in job.outcomes { problems += try outcome.get() }
        return problems.isEmpty ? nil : "set \(set.name): " + problems.prefix(5).joined(separator: "; ")
    }

    /// Worker threads for the lookups of one set: the cores, at most 4.
    static let lookupWorkers = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
    /// Fewer elements than this per worker are looked up by fewer workers (a socket and a
    /// thread cost more than they save).
    static let elementsPerWorker = 25_000

    /// Looks up elements `share` of `expected` in set `set`, `lookupRound` per request.
    /// Returns the first mismatches (at most 5).
    fileprivate func lookUp(_ expected: KernelElements, share: Range<Int>, family: TableFamily, table: String,
                        set: String) throws -> [String] {
        let length = expected.keyLength
        try socket.reserve(sendBytes: 256 * 1024, receiveBytes: Self.lookupRound * 6 * 1024)
        var problems: [String] = []
        var next = share.lowerBound
        while next < share.upperBound && problems.count < 5 {
            let first = next
            let last = min(share.upperBound, first + Self.lookupRound)
            var found = first
            do {
                try request(NFT_MSG_GETSETELEM, family: family.kernelValue, dump: false,
                            operation: "look up elements \(first + 1)-\(last) of set \(set)",
                            build: { header in
                                mnl_attr_put_strz(header, UInt16(NFTA_SET_ELEM_LIST_TABLE.rawValue), table)
                                mnl_attr_put_strz(header, UInt16(NFTA_SET_ELEM_LIST_SET.rawValue), set)
                                let list = mnl_attr_nest_start(header, UInt16(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue))!
                                // Safety: `keys` is valid for the closure; `requestSize` covers every element.
                                expected.keys.withUnsafeBytes { keys in
                                    for index in first..<last {
                                        let element = mnl_attr_nest_start(header, UInt16(NFTA_LIST_ELEM.rawValue))!
                                        let key = mnl_attr_nest_start(header, UInt16(NFTA_SET_ELEM_KEY.rawValue))!
                                        // Safety: the key lies inside `keys` (index < count).
                                        mnl_attr_put(header, UInt16(NFTA_DATA_VALUE.rawValue), length, keys.baseAddress! + index * length)
                                        mnl_attr_nest_end(header, key)
                                        if expected.isEnd[index] {
                                            mnl_attr_put_u32(header, UInt16(NFTA_SET_ELEM_FLAGS.rawValue),
                                                             UInt32(NFT_SET_ELEM_INTERVAL_END.rawValue).bigEndian)
                                        }
                                        mnl_attr_nest_end(header, element)
                                    }
                                }
                                mnl_attr_nest_end(header, list)
                            }, requestSize: 64 + (last - first) * (length + 28)) { message in
                    guard message.type & 0xff == MessageType.newSetElement,
                          let list = message.attributes.first(UInt16(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue)) else { return }
                    for element in list.nested where element.type == UInt16(NFTA_LIST_ELEM.rawValue) {
                        var key: UnsafeRawBufferPointer?
                        var flags: UInt32 = 0
                        for attribute in element.nested {
                            if attribute.type == UInt16(NFTA_SET_ELEM_KEY.rawValue) {
                                key = attribute.nested.first(UInt16(NFTA_DATA_VALUE.rawValue))?.payload
                            } else if attribute.type == UInt16(NFTA_SET_ELEM_FLAGS.rawValue) {
                                flags = attribute.bigEndianU32 ?? 0
                            }
                        }
                        guard found < last else { return }
                        let want = expected.keys[(found * length)..<((found + 1) * length)]
                        let isEnd = flags & UInt32(NFT_SET_ELEM_INTERVAL_END.rawValue) != 0
                        if key.map({ !$0.elementsEqual(want) }) ?? true || isEnd != expected.isEnd[found] {
                            problems.append("element \(found + 1): kernel has \(hex(key.map { Array($0) } ?? []))\(isEnd ? " (end)" : ""), "
                                            + "expected \(hex(Array(want)))\(expected.isEnd[found] ? " (end)" : "")")
                        }
                        found += 1
                    }
                }
            } catch NetlinkError.kernel(_, let code, _) where code == ENOENT {
                problems.append("element \(found + 1) (\(hex(Array(expected.keys[(found * length)..<((found + 1) * length)])))) is missing")
                break
            }
            if found != last && problems.isEmpty { problems.append("kernel answered \(found - first) of \(last - first) lookups") }
            next = last
        }
        return problems
    }
}

/// The lookups of one set, shared out among workers: worker `i` uses only `sessions[i]`
/// (a session is not thread-safe, so each has its own) and its share of the elements, and
/// writes only its own outcome, under the lock. Hence `@unchecked Sendable`.
private final class LookupJob: @unchecked Sendable {
    let sessions: [NetlinkSession]
    let expected: KernelElements
    let family: TableFamily, table: String, set: String
    private var results: [Result<[String], Error>?]
    private let lock = NSLock()

    init(sessions: [NetlinkSession], expected: KernelElements, family: TableFamily, table: String, set: String) {
        (self.sessions, self.expected, self.family, self.table, self.set) = (sessions, expected, family, table, set)
        results = Array(repeating: nil, count: sessions.count)
    }

    /// Worker `worker`'s share: a contiguous range, the shares together cover every element.
    func run(_ worker: Int) {
        let count = expected.count, workers = sessions.count
        let share = (count * worker / workers)..<(count * (worker + 1) / workers)
        let result = Result { try sessions[worker].lookUp(expected, share: share, family: family, table: table, set: set) }
        lock.withLock { results[worker] = result }
    }

    /// Every worker's outcome, in share order.
    var outcomes: [Result<[String], Error>] { lock.withLock { results.compactMap { $0 } } }
}

private func hex(_ bytes: [UInt8]) -> String {
    "0x" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}
