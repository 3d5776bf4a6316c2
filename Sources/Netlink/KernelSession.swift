import Ruleset

/// What the engine needs from the kernel: the ruleset generation id, one table read back,
/// and one batch sent with compare-and-swap. ``NetlinkSession`` is the real one; tests put
/// an in-memory kernel in its place to drive failures the real one cannot be made to show
/// on demand (a stale generation id at a chosen moment, a rejected message, an interrupted
/// dump).
public protocol KernelSession: AnyObject {
    /// The ruleset generation id (`NFT_MSG_GETGEN`).
    func generation() throws -> UInt32
    /// Whether table `family name` exists.
    func tableExists(family: TableFamily, name: String) throws -> Bool
    /// Table `family name` with its sets (elements unless `elements` is false), chains and
    /// rules; nil when there is none.
    func readTable(family: TableFamily, name: String, elements: Bool) throws -> TableSnapshot?
    /// Sends `batch` as one transaction; with `expectedGeneration`, it is rejected
    /// (``NetlinkError/generationChanged``) if anything committed since that id was read.
    func send(_ batch: Batch, expectedGeneration: UInt32?) throws -> NetlinkSession.Receipt
    /// Every element of `set` in table `family table`, by dump.
    func readElements(family: TableFamily, table: String, set: NamedSet) throws -> SetElements
    /// Looks every element of `set` up by key; nil when all are there, else what is not.
    func checkElements(family: TableFamily, table: String, set: NamedSet) throws -> String?
}

extension KernelSession {
    /// Whether migfw's table of `family` (default `inet migfw`) exists.
    public func tableExists(family: TableFamily = .inet) throws -> Bool {
        try tableExists(family: family, name: Table.migfwName)
    }

    /// migfw's table of `family` (default `inet migfw`), elements included unless
    /// `elements` is false.
    public func readTable(family: TableFamily = .inet, elements: Bool = true) throws -> TableSnapshot? {
        try readTable(family: family, name: Table.migfwName, elements: elements)
    }
}

extension NetlinkSession: KernelSession {}
