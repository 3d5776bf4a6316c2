import CNftnl
import Glibc

/// Runs work inside a named network namespace (`/run/netns/NAME`, as `ip netns` creates).
///
/// `setns(CLONE_NEWNET)` switches only the calling thread. migfw switches the thread, runs
/// the work (opening a netlink socket, `if_nametoindex`) and switches back before returning,
/// so nothing else in the process, other threads, other tests, is ever moved. A socket keeps
/// the namespace it was created in, which is all a ``NetlinkSession`` needs. The work must be
/// synchronous: no `await` between switching and switching back.
public enum NetworkNamespace {
    /// Runs `body` with the calling thread inside namespace `name`; nil runs it in place.
    public static func run<T>(in name: String?, _ body: () throws -> T) throws -> T {
        guard let name else { return try body() }
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw NetlinkError.namespaceNotFound(name)
        }
        let original = try openNamespace("/proc/thread-self/ns/net", missing: "current")
        defer { close(original) }
        let target = try openNamespace("/run/netns/\(name)", missing: name)
        defer { close(target) }
        try enter(target, what: "setns(/run/netns/\(name))")
        defer {
            // Returning to the namespace we came from cannot reasonably fail (we were just
            // there); if it does, this thread must not carry on in the wrong namespace.
            if migfw_setns_net(original) != 0 {
                fatalError("cannot return to the original network namespace: errno \(errno)")
            }
        }
        return try body()
    }

    /// The current thread's namespace's cookie (`SO_NETNS_COOKIE`, Linux 5.14+): a 64-bit id
    /// the kernel never reuses while it runs, unlike the nsfs inode number, which a namespace
    /// deleted and created again under the same name usually gets back. Nil where the kernel
    /// has no cookies.
    public static func cookie() -> UInt64? {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var value: UInt64 = 0
        var length = socklen_t(MemoryLayout<UInt64>.size)
        // Safety: getsockopt writes at most `length` (8) bytes into `value`, which outlives the call.
        let result = withUnsafeMutableBytes(of: &value) { getsockopt(fd, SOL_SOCKET, soNetnsCookie, $0.baseAddress, &length) }
        return result == 0 && length == MemoryLayout<UInt64>.size ? value : nil
    }

    /// `SO_NETNS_COOKIE` from <asm-generic/socket.h> (Glibc's headers may predate it).
    private static let soNetnsCookie: Int32 = 71

    /// The interface index of `name` in the current thread's namespace, nil if absent.
    public static func interfaceIndex(_ name: String) -> UInt32? {
        let index = if_nametoindex(name)
        return index == 0 ? nil : index
    }

    private static func openNamespace(_ path: String, missing: String) throws -> Int32 {
        let fd = migfw_open_readonly(path)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw NetlinkError.namespaceNotFound(missing) }
            if code == EACCES || code == EPERM { throw NetlinkError.permissionDenied(operation: "open \(path)") }
            throw NetlinkError.system(call: "open(\(path))", errno: code)
        }
        return fd
    }

    private static func enter(_ fd: Int32, what: String) throws {
        guard migfw_setns_net(fd) == 0 else {
            let code = errno
            if code == EPERM { throw NetlinkError.permissionDenied(operation: what) }
            throw NetlinkError.system(call: what, errno: code)
        }
    }
}
