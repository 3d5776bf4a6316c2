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
    /// (0: do not wait). Throws ``OperationError/lockTimeout(path:seconds:)`` when the other
    /// run is still going.
    public static func acquire(path: String, timeout: Double) throws(OperationError) -> RunLock {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .lockFailed(path: path, errno: errno) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return RunLock(path: path, handle: handle) }
            let failure = errno
            guard failure == EWOULDBLOCK || failure == EINTR else { throw .lockFailed(path: path, errno: failure) }
            guard Date() < deadline else { throw .lockTimeout(path: path, seconds: timeout) }
            usleep(20_000)
        }
    }
}
