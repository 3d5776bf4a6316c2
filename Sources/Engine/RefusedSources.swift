import Netlink
import Prefix
import Ruleset

/// One source address the drop rules refused on the migration ports, as the kernel counted it
/// in migfw's dynamic `refused4` / `refused6` set (nothing is parsed from logs).
public struct RefusedSource: Hashable, Sendable {
    /// The address as text (`192.0.2.7`, `2001:db8::7`).
    public var address: String
    /// Refused packets from it since it entered the set (the per-element counter).
    public var packets: UInt64
    public var bytes: UInt64
    /// Seconds since its last refused packet: the set's timeout less the time its element has
    /// left (each refused packet renews the element). Nil when the kernel gave no expiry.
    public var lastSeenSecondsAgo: UInt64?

    public init(address: String, packets: UInt64, bytes: UInt64, lastSeenSecondsAgo: UInt64?) {
        self.address = address
        self.packets = packets
        self.bytes = bytes
        self.lastSeenSecondsAgo = lastSeenSecondsAgo
    }
}

public enum RefusedSources {
    /// The refused sources in `snapshot`, most packets first (ties: address order). At most
    /// the sets' size bound (``NamedSet/refusedSize``) per IP version.
    public static func list(_ snapshot: TableSnapshot) -> [RefusedSource] {
        list(snapshot.dynamicElements)
    }

    /// The refused sources of migfw's table of `family` in `namespace`, read without dumping
    /// the rest of the table (reconcile's fast path stays fast). Empty when it is not loaded.
    public static func read(namespace: String?, family: TableFamily) throws -> [RefusedSource] {
        let session = try netlink { try NetlinkSession(namespace: namespace) }
        return list(try netlink { try session.readDynamicSets(family: family, sets: [NamedSet.refused4, NamedSet.refused6]) })
    }

    static func list(_ dynamicElements: [String: [DynamicElement]]) -> [RefusedSource] {
        var sources: [RefusedSource] = []
        for name in [NamedSet.refused4, NamedSet.refused6] {
            for element in dynamicElements[name] ?? [] {
                guard let address = text(element.key) else { continue }
                sources.append(RefusedSource(address: address, packets: element.counter?.packets ?? 0,
                                             bytes: element.counter?.bytes ?? 0,
                                             lastSeenSecondsAgo: element.lastSeenMillisecondsAgo.map { $0 / 1000 }))
            }
        }
        return sources.sorted { $0.packets != $1.packets ? $0.packets > $1.packets : $0.address < $1.address }
    }

    /// An IPv4 (4 bytes) or IPv6 (16 bytes) key as text; nil for any other length.
    static func text(_ key: [UInt8]) -> String? {
        switch key.count {
        case 4: IPv4Address(bits: key.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }).description
        case 16: IPv6Address(bits: key.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }).description
        default: nil
        }
    }
}
