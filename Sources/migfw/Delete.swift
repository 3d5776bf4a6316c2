import ArgumentParser
import Engine
import Ruleset

/// `migfw delete`: remove table inet migfw and table bridge migfw, and nothing else.
struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Remove migfw's tables (inet migfw, bridge migfw; nothing else) from the kernel.",
        discussion: """
            An absent table is not an error. Takes the run lock (--lock-file), so it never \
            interleaves with an apply (or its --confirm rollback) or a reconcile. Needs \
            CAP_NET_ADMIN. Exit 0 ok, 1 kernel error (or the lock not free in time).
            """
    )

    @OptionGroup var namespace: NamespaceOptions
    @OptionGroup var lock: LockOptions

    func run() throws {
        let deleted: [TableFamily]
        do {
            let held = try RunLock.acquire(path: lock.lockFile, timeout: lock.lockTimeout)
            defer { withExtendedLifetime(held) {} }
            deleted = try Deleter.deleteAll(namespace: namespace.netns)
        } catch {
            throw reportFailure(error, command: "delete")
        }
        let place = namespace.netns.map { " in network namespace \($0)" } ?? ""
        if deleted.isEmpty {
            Console.say("table inet migfw and table bridge migfw are not loaded\(place); nothing to delete\n")
        }
        for family in deleted { Console.say("deleted table \(family.rawValue) migfw\(place)\n") }
    }
}
