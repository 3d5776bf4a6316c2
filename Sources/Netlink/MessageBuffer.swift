import CNftnl

/// A growable, contiguous buffer of netlink messages that goes to the kernel in one send,
/// with a record of what each sequence number was for, so an error can name its operation.
final class MessageBuffer {
    /// Room reserved before building each message: element messages stop at ~60 KiB of
    /// payload, every other message is far smaller.
    static let messageReserve = 128 * 1024

    private(set) var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private(set) var count = 0
    /// Operation descriptions by sequence number.
    private(set) var operations: [UInt32: String] = [:]
    private(set) var messageCount = 0
    private var nextSequence: UInt32
    let firstSequence: UInt32

    init(firstSequence: UInt32, capacity: Int = 256 * 1024) {
        self.firstSequence = firstSequence
        self.capacity = capacity
        // Safety: a fresh allocation owned by this object, freed in deinit.
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        nextSequence = firstSequence
    }

    deinit { storage.deallocate() }

    /// Replaces the description of the last message appended (once its content is known).
    func rename(last description: String) {
        operations[nextSequence &- 1] = description
    }

    /// The description of message `sequence`, with its 1-based position in the batch.
    func describe(_ sequence: UInt32) -> String? {
        guard let operation = operations[sequence] else { return nil }
        return "\(operation) (message \(sequence &- firstSequence &+ 1))"
    }

    /// Appends one message: `build` gets a zeroed area of at least ``messageReserve`` bytes
    /// and its sequence number, writes a complete message there and returns the header.
    @discardableResult
    func append(_ operation: String, _ build: (UnsafeMutableRawPointer, UInt32) throws -> UnsafeMutablePointer<nlmsghdr>) rethrows -> UInt32 {
        reserve(Self.messageReserve)
        let sequence = nextSequence
        nextSequence &+= 1
        let start = storage + count
        // Safety: `reserve` guarantees messageReserve writable bytes from `start`.
        start.initializeMemory(as: UInt8.self, repeating: 0, count: Self.messageReserve)
        let header = try build(start, sequence)
        let length = Int(header.pointee.nlmsg_len)
        precondition(length <= Self.messageReserve, "netlink message overran its reserve")
        count += (length + 3) & ~3
        operations[sequence] = operation
        messageCount += 1
        return sequence
    }

    private func reserve(_ bytes: Int) {
        guard count + bytes > capacity else { return }
        var newCapacity = capacity * 2
        while count + bytes > newCapacity { newCapacity *= 2 }
        // Safety: copy the used prefix into a new allocation and free the old one; no
        // pointer into the old storage outlives `append`.
        let newStorage = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 8)
        newStorage.copyMemory(from: storage, byteCount: count)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }

    /// The bytes built so far.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage, count: count) }
}
