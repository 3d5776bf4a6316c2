import Foundation

/// A throwaway network namespace, `/run/netns/NAME`, deleted by ``destroy()`` or at deinit.
///
/// Names start with `mfwt-` plus a random suffix, so parallel tests never collide and a
/// leftover is recognisable.
public final class TestNamespace: @unchecked Sendable {
    public let name: String
    private var alive = true

    /// Creates the namespace and brings its loopback up.
    public init(tag: String = "t") throws {
        name = "mfwt-\(tag.prefix(6))-\(UInt32.random(in: 0...UInt32.max) % 1_000_000)"
        try runChecked(["ip", "netns", "add", name])
        do {
            try exec(["ip", "link", "set", "lo", "up"])
        } catch {
            destroy()
            throw error
        }
    }

    /// Runs `arguments` inside the namespace, throwing on a non-zero exit.
    @discardableResult
    public func exec(_ arguments: [String], input: String? = nil) throws -> CommandResult {
        try runChecked(["ip", "netns", "exec", name] + arguments, input: input)
    }

    /// Runs `arguments` inside the namespace, returning whatever happened.
    @discardableResult
    public func tryExec(_ arguments: [String], input: String? = nil) throws -> CommandResult {
        try run(["ip", "netns", "exec", name] + arguments, input: input)
    }

    /// `nft list ruleset` inside the namespace.
    public func ruleset() throws -> String { try exec(["nft", "list", "ruleset"]).stdout }

    /// Deletes the namespace (idempotent).
    public func destroy() {
        guard alive else { return }
        alive = false
        _ = try? run(["ip", "netns", "del", name])
    }

    deinit { destroy() }
}

/// Runs `body` with a fresh namespace that is deleted afterwards, also when `body` throws.
public func withNamespace<T>(tag: String = "t", _ body: (TestNamespace) throws -> T) throws -> T {
    let namespace = try TestNamespace(tag: tag)
    defer { namespace.destroy() }
    return try body(namespace)
}
