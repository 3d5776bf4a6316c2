import Glibc
@testable import Netlink
import Testing

/// The RTM_GETLINK reply parser behind the enslaved-NIC check and the bridge test of status:
/// what it takes from a reply, and what it refuses (no root needed).
@Suite struct LinkQueryTests {
    static func attribute(_ type: UInt16, _ payload: [UInt8]) -> [UInt8] {
        let length = UInt16(4 + payload.count)
        return withUnsafeBytes(of: length) { Array($0) } + withUnsafeBytes(of: type) { Array($0) } + payload
            + [UInt8](repeating: 0, count: (4 - payload.count % 4) % 4)
    }

    static func message(type: UInt16, _ body: [UInt8]) -> [UInt8] {
        let length = UInt32(16 + body.count)
        return withUnsafeBytes(of: length) { Array($0) } + withUnsafeBytes(of: type) { Array($0) }
            + [0, 0] + [1, 0, 0, 0] + [0, 0, 0, 0] + body
    }

    static func u32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }

    static func parse(_ bytes: [UInt8]) throws -> LinkQuery.Link? {
        try bytes.withUnsafeBytes { try LinkQuery.parse($0) }
    }

    @Test func aLinkReplyGivesNameMasterKindAndLowerDevice() throws {
        let info = Self.attribute(18, Self.attribute(1, Array("vlan".utf8) + [0]))
        let body = [UInt8](repeating: 0, count: 16) + Self.attribute(3, Array("mig0".utf8) + [0])
            + Self.attribute(10, Self.u32(7)) + info + Self.attribute(5, Self.u32(3))
        let link = try #require(try Self.parse(Self.message(type: 16, body)))
        #expect(link.name == "mig0")
        #expect(link.master == 7)
        #expect(link.kind == "vlan")
        #expect(link.lower == 3)
        #expect(!link.lowerInOtherNamespace)
        // No master, a veth's peer in another namespace.
        let veth = [UInt8](repeating: 0, count: 16) + Self.attribute(5, Self.u32(9)) + Self.attribute(37, Self.u32(0))
        let other = try #require(try Self.parse(Self.message(type: 16, veth)))
        #expect(other.master == nil && other.lowerInOtherNamespace)
    }

    @Test func errorsAndMalformedRepliesAreTold() throws {
        #expect(try Self.parse(Self.message(type: 2, Self.u32(UInt32(bitPattern: -ENODEV)) + [UInt8](repeating: 0, count: 16))) == nil,
                "no such device: no link")
        #expect(throws: NetlinkError.self) {
            try Self.parse(Self.message(type: 2, Self.u32(UInt32(bitPattern: -EPERM)) + [UInt8](repeating: 0, count: 16)))
        }
        #expect(throws: NetlinkError.self, "an acknowledgement is not a link") {
            try Self.parse(Self.message(type: 2, Self.u32(0) + [UInt8](repeating: 0, count: 16)))
        }
        let good = Self.message(type: 16, [UInt8](repeating: 0, count: 16) + Self.attribute(10, Self.u32(4)))
        #expect(throws: NetlinkError.self, "cut short") { try Self.parse(Array(good.prefix(20))) }
        #expect(throws: NetlinkError.self, "another message type") {
            try Self.parse(Self.message(type: 24, [UInt8](repeating: 0, count: 16)))
        }
        // A truncated attribute ends the walk: no master read past the reply.
        var cut = good
        cut.removeLast(2)
        cut.replaceSubrange(0..<4, with: Self.u32(UInt32(cut.count)))
        #expect(try Self.parse(cut)?.master == nil)
    }
}
