import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How migfw creates and replaces the files it owns (state record, rollback record,
/// confirmation files, metrics), so that another local account cannot turn a write by root
/// into a write elsewhere:
/// - a new file is first written under an unpredictable name in the target's directory,
///   created with `O_CREAT|O_EXCL|O_NOFOLLOW` (a name planted in advance, symlink or not,
///   makes the create fail instead of being followed) and its permissions set at creation;
/// - it is renamed over the target, which replaces a directory entry and never follows a
///   symlink planted at the target's name;
/// - on any failure (a full disk, say) the temporary file is removed.
///
/// The directory that holds migfw's records is checked too (``requirePrivateDirectory(_:)``):
/// an account that can write there could delete or forge them, whatever the write does.
public enum OwnFiles {
    /// Replaces `path` with `bytes` (see the type's description). `mode` is set exactly,
    /// whatever the umask.
    public static func replace(_ path: String, with bytes: [UInt8], mode: mode_t = 0o600) throws(EngineError) {
        let directory = directoryPart(of: path)
        let name = (path as NSString).lastPathComponent
        var temporary = ""
        var descriptor: Int32 = -1
        for _ in 0..<8 {
            temporary = (directory as NSString).appendingPathComponent(
                ".\(name).\(String(UInt64.random(in: 0...UInt64.max), radix: 36)).tmp")
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if descriptor >= 0 || errno != EEXIST { break }
        }
        guard descriptor >= 0 else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            guard fchmod(descriptor, mode) == 0 else { throw EngineError.writeFailed(path: path, reason: errnoText()) }
            try handle.write(contentsOf: Data(bytes))
            try handle.close()
            guard rename(temporary, path) == 0 else { throw EngineError.writeFailed(path: path, reason: errnoText()) }
        } catch {
            unlink(temporary)
            if let failure = error as? EngineError { throw failure }
            throw .writeFailed(path: path, reason: posixText(error))
        }
    }

    /// ``replace(_:with:mode:)`` with UTF-8 text.
    public static func replace(_ path: String, with text: String, mode: mode_t = 0o600) throws(EngineError) {
        try replace(path, with: Array(text.utf8), mode: mode)
    }

    /// Makes sure `directory` exists (created 0700 when missing, parents 0755) and that no
    /// other account can change what is in it: it must be a directory owned by this user
    /// and writable by nobody else. migfw's records there decide whether `reconcile` trusts
    /// the kernel unchanged and whether it may repair it, so a directory another account can
    /// write is refused rather than used.
    public static func requirePrivateDirectory(_ directory: String) throws(EngineError) {
        var info = stat()
        if stat(directory, &info) != 0 {
            guard errno == ENOENT else { throw .unsafeDirectory(path: directory, reason: errnoText()) }
            let parent = directoryPart(of: directory)
            if parent != directory {
                try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            }
            guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
                throw .unsafeDirectory(path: directory, reason: errnoText())
            }
            guard stat(directory, &info) == 0 else { throw .unsafeDirectory(path: directory, reason: errnoText()) }
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw .writeFailed(path: directory, reason: "not a directory") }
        if let problem = privacyProblem(info) { throw .unsafeDirectory(path: directory, reason: problem) }
    }

    /// Whether ``requirePrivateDirectory(_:)`` would accept `directory` as it is now (a
    /// reader's check: nothing is created).
    public static func isPrivateDirectory(_ directory: String) -> Bool {
        var info = stat()
        return stat(directory, &info) == 0 && privacyProblem(info) == nil
    }

    /// Why a directory with `info` is not private to this user, or nil.
    static func privacyProblem(_ info: stat) -> String? {
        if info.st_mode & S_IFMT != S_IFDIR { return "not a directory" }
        if info.st_uid != geteuid() { return "owned by uid \(info.st_uid), not by this user (uid \(geteuid()))" }
        if info.st_mode & 0o022 != 0 {
            return "writable by other accounts (mode \(String(info.st_mode & 0o7777, radix: 8)))"
        }
        return nil
    }

    /// The directory part of `path` ("." for a bare name).
    static func directoryPart(of path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// The C library's text for the errno underneath a Foundation file error.
    static func posixText(_ error: Error) -> String {
        let outer = error as NSError
        let posix = [outer.userInfo[NSUnderlyingErrorKey] as? NSError, outer]
            .compactMap { $0 }.first { $0.domain == NSPOSIXErrorDomain }
        return posix.map { String(cString: strerror(Int32($0.code))) } ?? outer.localizedDescription
    }
}
