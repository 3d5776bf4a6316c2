import CNftnl
import Glibc
import Ruleset

extension NetlinkSession {
    /// Every table the kernel holds, in every family (one GETTABLE dump, NFPROTO_UNSPEC),
    /// with its flags. Read-only: used to find other tools' tables that could drop what
    /// migfw accepts.
    public func listTables() throws -> [(family: TableFamily, name: String, flags: TableFlags)] {
        var tables: [(family: TableFamily, name: String, flags: TableFlags)] = []
        try request(NFT_MSG_GETTABLE, family: UInt16(NFPROTO_UNSPEC), dump: true, operation: "list tables") { message in
            guard message.type & 0xff == MessageType.newTable, message.raw.count >= 20 else { return }
            // struct nfgenmsg follows the 16-byte nlmsghdr: its first byte is the family.
            let familyCode = UInt16(message.raw[16])
            guard let family = TableFamily.allCases.first(where: { $0.kernelValue == familyCode }),
                  let name = message.attributes.first(UInt16(NFTA_TABLE_NAME.rawValue))?.string else { return }
            let flags = TableFlags(rawValue: message.attributes.first(UInt16(NFTA_TABLE_FLAGS.rawValue))?.bigEndianU32 ?? 0)
            tables.append((family, name, flags))
        }
        return tables
    }
}
