import Ruleset

/// One nf_tables transaction on one table, as plain data: a list of operations the kernel
/// applies all together or not at all. Build it, then hand it to ``NetlinkSession/send(_:expectedGeneration:)``.
public struct Batch: Hashable, Sendable {
    /// The operations migfw sends. `addSet` and `addChain` bring their elements and rules.
    public enum Operation: Hashable, Sendable {
        /// `NFT_MSG_NEWTABLE` (with the table's userdata and flags). On an existing table it
        /// is an update: the kernel keeps the userdata but applies the flags, so
        /// `flags: []` re-activates a dormant table (re-registers its base chains' hooks).
        case addTable(userdata: [UInt8]?, flags: TableFlags = [])
        /// `NFT_MSG_DELTABLE`: the table and everything in it.
        case deleteTable
        /// `NFT_MSG_DELTABLE` of the table of the same name in another family (migfw's table
        /// of a mode the policy left).
        case deleteTableOfFamily(TableFamily)
        /// `NFT_MSG_NEWSET`, then its elements in `NFT_MSG_NEWSETELEM` messages of ~60 KiB.
        case addSet(NamedSet)
        /// `NFT_MSG_DELSET`.
        case deleteSet(String)
        /// `NFT_MSG_NEWSETELEM` (NLM_F_EXCL: an element already there is an error).
        case addElements(set: String, SetElements)
        /// `NFT_MSG_DELSETELEM` of these elements.
        case deleteElements(set: String, SetElements)
        /// `NFT_MSG_NEWCHAIN` (NLM_F_EXCL: an existing chain is an error, not an update), then
        /// `NFT_MSG_NEWRULE` for each of its rules in order.
        case addChain(Chain)
        /// `NFT_MSG_DELCHAIN` (the chain must be empty and unreferenced).
        case deleteChain(String)
        /// `NFT_MSG_DELRULE` without a handle: removes every rule of the chain.
        case flushChain(String)
        /// `NFT_MSG_NEWRULE`, appended at the end of the chain.
        case addRule(chain: String, Rule)
    }

    public var family: TableFamily
    public var table: String
    public var operations: [Operation]

    public init(family: TableFamily = .inet, table: String = Table.migfwName, operations: [Operation] = []) {
        self.family = family
        self.table = table
        self.operations = operations
    }

    /// Appends an operation.
    public mutating func append(_ operation: Operation) { operations.append(operation) }

    /// Creates `table` from scratch: deletes it first when `replacing` (the kernel holds one),
    /// then adds the table, its sets with their elements, every chain, then the rules (all
    /// chains first, so a rule may jump to a chain that comes later, as with nft).
    public static func create(_ table: Table, replacing: Bool) -> Batch {
        var batch = Batch(family: table.family, table: table.name)
        if replacing { batch.append(.deleteTable) }
        batch.append(.addTable(userdata: table.userdata, flags: table.flags))
        for set in table.sets { batch.append(.addSet(set)) }
        for chain in table.chains {
            var empty = chain
            empty.rules = []
            batch.append(.addChain(empty))
        }
        for chain in table.chains {
            for rule in chain.rules { batch.append(.addRule(chain: chain.name, rule)) }
        }
        return batch
    }

    /// Deletes the table and everything in it.
    public static func delete(family: TableFamily = .inet, table: String = Table.migfwName) -> Batch {
        Batch(family: family, table: table, operations: [.deleteTable])
    }
}
