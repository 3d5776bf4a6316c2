import CNftnl
@testable import Netlink
import Prefix
import Ruleset
import Testing

/// Byte-level checks of the batch encoder; no kernel, no root.
struct EncodingTests {
    func v4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> IPv4Address { IPv4Address(a, b, c, d) }

    @Test func intervalEndsAtLastPlusOneAndNoneAtTheTop() throws {
        let elements = SetElements.ipv4([
            AddressRange(lower: v4(0, 0, 0, 0), upper: v4(10, 0, 0, 255))!,
            AddressRange(lower: v4(20, 0, 0, 0), upper: v4(255, 255, 255, 255))!,
        ])
        let kernel = try KernelElements(elements, interval: true)
        #expect(kernel.isEnd == [false, true, false])
        #expect(kernel.keys == [0, 0, 0, 0, 10, 0, 1, 0, 20, 0, 0, 0])
        #expect(kernel.model(keyType: .ipv4Address, nftDatatype: 7, interval: true) == elements)
    }

    @Test func nftsLeadingZeroEndElementIsSkippedOnDecode() {
        var kernel = KernelElements(keyLength: 4)
        kernel.append(UInt32(0), end: true)           // nft writes this for interval sets
        kernel.append(UInt32(0x0a00_0000), end: true) // dumps come in any order
        kernel.append(UInt32(0x0900_0000), end: false)
        #expect(kernel.model(keyType: .ipv4Address, nftDatatype: 7, interval: true)
            == .ipv4([AddressRange(lower: v4(9, 0, 0, 0), upper: v4(9, 255, 255, 255))!]))
    }

    @Test func rangesInAPlainSetAreRefused() {
        #expect(throws: NetlinkError.self) {
            try KernelElements(.ports([10...20]), interval: false)
        }
    }

    @Test func elementRoundTripForEveryKeyType() throws {
        let cases: [SetElements] = [
            .ipv4([AddressRange(lower: v4(1, 2, 3, 4), upper: v4(1, 2, 3, 4))!,
                   AddressRange(lower: v4(192, 168, 0, 0), upper: v4(192, 168, 255, 255))!]),
            .ipv6([AddressRange(lower: IPv6Address(bits: 0), upper: IPv6Address(bits: 1 << 64))!,
                   AddressRange(lower: IPv6Address(bits: UInt128.max - 5), upper: IPv6Address(bits: .max))!]),
            .ports([22...22, 49152...49215, 65000...65535]),
        ]
        for elements in cases {
            let kernel = try KernelElements(elements, interval: true)
            let datatype = elements.keyType.nftDatatype!
            #expect(kernel.model(keyType: elements.keyType, nftDatatype: datatype, interval: true) == elements)
        }
    }

    @Test func elementMessagesStayUnderTheAttributeLimitAndKeepEveryElement() throws {
        let ranges = (0..<100_000).map { index -> AddressRange<IPv4Address> in
            let start = UInt32(index) * 1024
            return AddressRange(lower: IPv4Address(bits: start), upper: IPv4Address(bits: start + 255))!
        }
        let set = NamedSet(name: NamedSet.trusted4, elements: .ipv4(ranges))
        let buffer = try BatchEncoder.encode(Batch(operations: [.addTable(userdata: nil), .addSet(set)]),
                                             generation: nil, firstSequence: 1)
        var elementMessages = 0, elementCount = 0
        for message in Messages(bytes: buffer.bytes) where message.type & 0xff == UInt16(NFT_MSG_NEWSETELEM.rawValue) {
            elementMessages += 1
            let list = try #require(message.attributes.first(UInt16(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue)))
            #expect(list.payload.count + 4 < 65_536)
            elementCount += list.nested.reduce(0) { count, _ in count + 1 }
            // Created in this batch: the set id is sent with the name.
            #expect(message.attributes.first(UInt16(NFTA_SET_ELEM_LIST_SET_ID.rawValue)) != nil)
        }
        #expect(elementCount == 200_000)  // a start and an end per interval
        #expect(elementMessages > 1)
        #expect(buffer.messageCount == elementMessages + 4)  // begin, table, set, ..., end
        #expect(buffer.describe(4)?.hasPrefix("add set element to trusted4 (elements 1-") == true)
    }

    @Test func noSetIDForSetsNotCreatedInTheBatch() throws {
        // The kernel falls back to the id when the name is unknown, so elements meant for a
        // misspelled set could land in another one (NETLINK-NOTES).
        let elements = SetElements.ipv4([AddressRange(lower: v4(10, 0, 0, 0), upper: v4(10, 0, 0, 255))!])
        let buffer = try BatchEncoder.encode(Batch(operations: [.addElements(set: "trusted4", elements)]),
                                             generation: 42, firstSequence: 1)
        let messages = Array(Messages(bytes: buffer.bytes))
        #expect(messages.count == 3)
        #expect(messages[1].attributes.first(UInt16(NFTA_SET_ELEM_LIST_SET_ID.rawValue)) == nil)
        // The generation id rides in BATCH_BEGIN, big-endian.
        #expect(messages[0].attributes.first(UInt16(NFNL_BATCH_GENID.rawValue))?.bigEndianU32 == 42)
    }

    @Test func ruleCommentIsNftUserdata() {
        let userdata = RuleUserdata.encode(comment: "migration peers")
        #expect(userdata[0] == 0 && Int(userdata[1]) == "migration peers".utf8.count + 1)
        #expect(RuleUserdata.decodeComment(userdata) == "migration peers")
    }
}
