import ArgumentParser
import Engine

/// `migfw delete`: remove table inet migfw and nothing else.
struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Remove table inet migfw (and nothing else) from the kernel.",
        discussion: """
            An absent table is not an error. Takes the run lock (--lock-file), so it never \
            interleaves with an apply (or its --confirm rollback) or a reconcile. Needs \
            CAP_NET_ADMIN. Exit 0 ok, 1 kernel error (or the lock not free in time).
            """
    )

    @OptionGroup var namespace: NamespaceOptions
    @OptionGroup var lock: LockOptions

    func run() throws {
        let deleted: Bool
        do {
            let held = try RunLock.acquire(path: lock.lockFile, timeout: lock.lockTimeout)
            defer { withExtendedLifetime(held) {} }
            deleted = try Deleter.delete(namespace: namespace.netns)
        } catch {
            throw reportFailure(error, command: "delete")
        }
        let place = namespace.netns.map { " in network namespace \($0)" } ?? ""
        Console.say(deleted ? "deleted table inet migfw\(place)\n" : "table inet migfw is not loaded\(place); nothing to delete\n")
    }
}
