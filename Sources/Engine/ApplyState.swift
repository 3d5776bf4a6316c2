import Foundation
import Netlink
import Prefix
import Ruleset

/// What migfw knows about the kernel after its last successful apply or full check, so the
/// next run need not dump large sets: the ruleset generation id the kernel had right after
/// (every committed transaction, by anyone, on any table, bumps it), the digest of the table
/// it held, the network namespace, and the sets' elements then.
///
/// While the generation id is unchanged the kernel holds exactly that, so `reconcile` only
/// compares the digest with the policy's, and `apply` plans against these elements instead
/// of dumping them; its batch carries the same generation id, so the kernel itself rejects
/// the plan if anything changed in between.
///
/// Kept under `/run/migfw/` (tmpfs: gone at reboot, when generation ids restart), and tied
/// to the boot (`/proc/sys/kernel/random/boot_id`) in case the directory survives one, and to
/// the namespace by its cookie (`SO_NETNS_COOKIE`), which, unlike its nsfs inode, is never
/// given to a namespace created later under the same name. The kernel
/// ignores userdata sent for an existing table (measured on 6.18), so the digest the full
/// apply writes into the table's userdata goes stale after an element-only apply; this file
/// is what the fast path trusts.
public struct ApplyState: Equatable, Sendable {
    /// The default state directory: `$MIGFW_STATE_DIR`, else `/run/migfw` (the test runner
    /// sets the variable so tests never write into the host's /run).
    public static var defaultDirectory: String {
        ProcessInfo.processInfo.environment["MIGFW_STATE_DIR"] ?? "/run/migfw"
    }

    /// The kernel's boot id when the state was written: a state from another boot says nothing.
    public var bootID: String
    /// The namespace's cookie: a recreated namespace with the same name is another one.
    public var namespaceID: UInt64
    /// The generation id right after migfw's commit (or at its last full in-sync check).
    public var generation: UInt32
    /// ``RulesetDigest`` of the table the kernel held then.
    public var digest: UInt64
    /// The sets the kernel held then (definitions and elements).
    public var sets: [NamedSet]

    public init(bootID: String = ApplyState.currentBootID, namespaceID: UInt64, generation: UInt32, digest: UInt64,
                sets: [NamedSet]) {
        self.bootID = bootID
        self.namespaceID = namespaceID
        self.generation = generation
        self.digest = digest
        self.sets = sets
    }

    /// The state file for `namespace` (nil: the current one) in `directory`.
    public static func path(directory: String, namespace: String?) -> String {
        directory + "/state-" + (namespace ?? "default") + ".bin"
    }

    /// The state read from `path`, or nil when there is none or it is unreadable (which only
    /// costs a full check).
    public static func load(path: String) -> ApplyState? {
        // A record another account could have written proves nothing.
        guard OwnFiles.isPrivateDirectory(OwnFiles.directoryPart(of: path)),
              let data = FileManager.default.contents(atPath: path) else { return nil }
        // A record that fails its checksum (a flipped byte, a torn write) is no record: it
        // would make plan show phantom changes while the fast path says in sync.
        guard let body = verified([UInt8](data)) else { return nil }
        var reader = ByteReader(bytes: body)
        guard let state = reader.state(), reader.offset == body.count else { return nil }
        return state
    }

    /// The record's bytes without their checksum, when the checksum matches.
    static func verified(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count > 8 else { return nil }
        let body = Array(bytes[..<(bytes.count - 8)])
        let stored = bytes[(bytes.count - 8)...].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return checksum(body) == stored ? body : nil
    }

    /// FNV-1a over the record's bytes.
    static func checksum(_ bytes: [UInt8]) -> UInt64 {
        var hash = FNV1a()
        for byte in bytes { hash.addByte(byte) }
        return hash.value
    }

    /// Writes the state atomically into a private directory (``OwnFiles``).
    public func save(path: String) throws(EngineError) {
        try OwnFiles.requirePrivateDirectory(OwnFiles.directoryPart(of: path))
        try OwnFiles.replace(path, with: encoded())
    }

    /// Removes the state (after a change migfw cannot vouch for).
    public static func forget(path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// This boot's id (`/proc/sys/kernel/random/boot_id`), or "" where there is none.
    public static let currentBootID: String = {
        guard let data = FileManager.default.contents(atPath: "/proc/sys/kernel/random/boot_id") else { return "" }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    /// Whether this state was written in this boot, in network namespace `namespace` (nil:
    /// the current one). A namespace that cannot be identified matches no state.
    public func belongs(toNamespace namespace: String?) -> Bool {
        belongs(toNamespaceID: Self.namespaceID(namespace))
    }

    /// ``belongs(toNamespace:)`` for a namespace identity already read (``namespaceID(_:)``).
    public func belongs(toNamespaceID identity: UInt64) -> Bool {
        Self.isCurrent(bootID: bootID, namespaceID: namespaceID, identity: identity)
    }

    /// Whether a record written in boot `bootID`, in the namespace identified as `namespaceID`,
    /// describes this boot and the namespace identified now as `identity` (0: unknown, never).
    static func isCurrent(bootID: String, namespaceID: UInt64, identity: UInt64) -> Bool {
        bootID == currentBootID && namespaceID != 0 && namespaceID == identity
    }

    /// The namespace's identity: its cookie (``NetworkNamespace/cookie()``, Linux 5.14+: never
    /// reused while the kernel runs, so a namespace deleted and created again under the same
    /// name is another one); on older kernels its nsfs inode with the top bit set (cookies
    /// are a counter and never have it), which a recreated namespace may get back; 0 when
    /// neither can be read (then no state matches: only the fast path is lost).
    public static func namespaceID(_ namespace: String?) -> UInt64 {
        if let cookie = (try? NetworkNamespace.run(in: namespace) { NetworkNamespace.cookie() }) ?? nil {
            return cookie
        }
        var info = stat()
        let path = namespace.map { "/run/netns/\($0)" } ?? "/proc/self/ns/net"
        guard stat(path, &info) == 0 else { return 0 }
        return UInt64(info.st_ino) | 1 << 63
    }

    // MARK: - Encoding: "MIGFWST3", little-endian fields (the boot id first), then the
    // FNV-1a checksum of everything before it. (A "MIGFWST2" record has none: not read.)

    private static let magic = Array("MIGFWST3".utf8)

    func encoded() -> [UInt8] {
        var out = Self.magic
        out.reserveCapacity(64 + sets.reduce(0) { $0 + 40 + $1.elements.count * 32 })
        func u32(_ v: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> shift)) } }
        func u64(_ v: UInt64) { for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> shift)) } }
        func text(_ s: String) { u32(UInt32(s.utf8.count)); out += s.utf8 }
        text(bootID)
        u64(namespaceID)
        u32(generation)
        u64(digest)
        let modelled = sets.filter { if case .unknown = $0.elements { false } else { true } }
        u32(UInt32(modelled.count))
        for set in modelled {
            text(set.name)
            u32(set.flags.rawValue)
            switch set.elements {
            case .ipv4(let ranges):
                out.append(4); u32(UInt32(ranges.count))
                for range in ranges { u32(range.lower.bits); u32(range.upper.bits) }
            case .ipv6(let ranges):
                out.append(6); u32(UInt32(ranges.count))
                for range in ranges {
                    for bits in [range.lower.bits, range.upper.bits] {
                        u64(UInt64(truncatingIfNeeded: bits >> 64)); u64(UInt64(truncatingIfNeeded: bits))
                    }
                }
            case .ports(let ranges):
                out.append(2); u32(UInt32(ranges.count))
                for range in ranges { u32(UInt32(range.lowerBound) << 16 | UInt32(range.upperBound)) }
            case .unknown:
                break
            }
        }
        u64(Self.checksum(out))
        return out
    }

    private struct ByteReader {
        let bytes: [UInt8]
        var offset = 0

        mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard offset + count <= bytes.count else { return nil }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }
        mutating func u32() -> UInt32? {
            guard offset + 4 <= bytes.count else { return nil }
            let o = offset
            offset += 4
            return UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
        }
        mutating func u64() -> UInt64? {
            guard let low = u32(), let high = u32() else { return nil }
            return UInt64(high) << 32 | UInt64(low)
        }

        mutating func state() -> ApplyState? {
            guard take(8).map(Array.init) == ApplyState.magic,
                  let bootLength = u32(), let boot = take(Int(bootLength)),
                  let namespaceID = u64(), let generation = u32(), let digest = u64(), let count = u32()
            else { return nil }
            var sets: [NamedSet] = []
            for _ in 0..<count {
                guard let nameLength = u32(), let name = take(Int(nameLength)), let flags = u32(),
                      let kind = take(1)?.first, let elementCount = u32()
                else { return nil }
                let n = Int(elementCount)
                // A corrupt count must not reserve gigabytes: no more ranges than bytes left
                // for them (8, 32 and 4 bytes per IPv4, IPv6 and port range).
                func capacity(bytesEach: Int) -> Int { min(n, (bytes.count - offset) / bytesEach) }
                let elements: SetElements
                switch kind {
                case 4:
                    var ranges: [AddressRange<IPv4Address>] = []
                    ranges.reserveCapacity(capacity(bytesEach: 8))
                    for _ in 0..<n {
                        guard let lower = u32(), let upper = u32(),
                              let range = AddressRange(lower: IPv4Address(bits: lower), upper: IPv4Address(bits: upper))
                        else { return nil }
                        ranges.append(range)
                    }
                    elements = .ipv4(ranges)
                case 6:
                    var ranges: [AddressRange<IPv6Address>] = []
                    ranges.reserveCapacity(capacity(bytesEach: 32))
                    for _ in 0..<n {
                        guard let a = u64(), let b = u64(), let c = u64(), let d = u64(),
                              let range = AddressRange(lower: IPv6Address(bits: UInt128(a) << 64 | UInt128(b)),
                                                       upper: IPv6Address(bits: UInt128(c) << 64 | UInt128(d)))
                        else { return nil }
                        ranges.append(range)
                    }
                    elements = .ipv6(ranges)
                case 2:
                    var ranges: [ClosedRange<UInt16>] = []
                    for _ in 0..<n {
                        guard let packed = u32() else { return nil }
                        let lower = UInt16(packed >> 16), upper = UInt16(truncatingIfNeeded: packed)
                        guard lower <= upper else { return nil }
                        ranges.append(lower...upper)
                    }
                    elements = .ports(ranges)
                default:
                    return nil
                }
                sets.append(NamedSet(name: String(decoding: name, as: UTF8.self), flags: SetFlags(rawValue: flags),
                                     elements: elements))
            }
            return ApplyState(bootID: String(decoding: boot, as: UTF8.self), namespaceID: namespaceID, generation: generation, digest: digest, sets: sets)
        }
    }
}
