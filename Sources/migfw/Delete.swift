import ArgumentParser
import Engine

/// `migfw delete`: remove table inet migfw and nothing else.
struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Remove table inet migfw (and nothing else) from the kernel.",
        discussion: "An absent table is not an error. Needs CAP_NET_ADMIN. Exit 0 ok, 1 kernel error."
    )

    @OptionGroup var namespace: NamespaceOptions

    func run() throws {
        let deleted: Bool
        do {
            deleted = try Deleter.delete(namespace: namespace.netns)
        } catch {
            throw exitForKernelFailure(error, command: "delete")
        }
        let place = namespace.netns.map { " in network namespace \($0)" } ?? ""
        print(deleted ? "deleted table inet migfw\(place)" : "table inet migfw is not loaded\(place); nothing to delete")
    }
}
