import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive advisory lock (`flock`) on a file, so two migfw runs that change the kernel
/// never interleave. Released when the value is dropped (the kernel also drops it when the
/// process dies, so a crashed run never leaves a stale lock behind).
public final class RunLock {
    /// The default lock file for `reconcile`.
    public static let defaultPath = "/run/migfw.lock"

    public let path: String
    private let handle: FileHandle

    private init(path: String, handle: FileHandle) {
        self.path = path
        self.handle = handle
    }

    deinit {
        _ = flock(handle.fileDescriptor, LOCK_UN)
        try? handle.close()
    }

    /// Takes the lock, waiting at most `timeout` seconds for another holder to finish
    /// (0: do not wait). Throws ``EngineError/lockTimeout(path:seconds:)`` when the other
    /// run is still going.
    public static func acquire(path: String, timeout: Double) throws(EngineError) -> RunLock {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        // Never through a symlink planted at the lock's name (a create or truncate by root
        // anywhere), and only a plain file of this user's that no other name links to.
        let descriptor = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let failure = errno
            if failure == ELOOP { throw .unsafeFile(path: path, reason: "it is a symbolic link") }
            throw .lockFailed(path: path, errno: failure)
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .lockFailed(path: path, errno: errno) }
        if let problem = problem(info) { throw .unsafeFile(path: path, reason: problem) }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return RunLock(path: path, handle: handle) }
            let failure = errno
            guard failure == EWOULDBLOCK || failure == EINTR else { throw .lockFailed(path: path, errno: failure) }
            guard Date() < deadline else { throw .lockTimeout(path: path, seconds: timeout) }
            usleep(20_000)
        }
    }

    /// Why an opened lock file is not one migfw should lock, or nil.
    private static func problem(_ info: stat) -> String? {
        if info.st_mode & S_IFMT != S_IFREG { return "not a regular file" }
        if info.st_uid != geteuid() { return "owned by uid \(info.st_uid), not by this user" }
        if info.st_nlink != 1 { return "it has \(info.st_nlink) hard links" }
        return nil
    }
}
