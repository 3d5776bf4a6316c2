import Foundation
import Glibc
import Policy
import Prefix

/// The only way the audit reads a file: under a root directory (`--root`, `/` by default), as
/// a chroot would see it, and never more than a small text file.
///
/// Hostile trees get what hostile policies get: a symbolic link is followed inside the root
/// (an absolute target is read relative to the root, as on the audited system) and refused
/// when `..` climbs out of it; FIFOs, devices, sockets and directories are refused without
/// being opened for reading (O_NONBLOCK keeps a FIFO's open from waiting for a writer); files
/// above ``maximumBytes``, with a NUL byte or that are not UTF-8 are refused with their
/// location. A refusal never quotes the file.
public struct ConfigRoot: Sendable {
    /// The root as given, without a trailing slash ("" for `/`).
    public let root: String
    /// Configuration files are a few KiB; libvirt's qemu.conf is the largest, about 40 KiB.
    public static let maximumBytes = 1024 * 1024
    /// Directory entries read at most (a `.d` directory or a systemd `.wants` directory).
    public static let maximumEntries = 10_000

    /// A root directory; fails when it does not exist or is not a directory.
    public init(_ root: String) throws(AuditRootError) {
        switch FileFacts.of(root) {
        case .failure(let error): throw AuditRootError(message: "--root \(root): \(error)")
        case .success(let facts) where !facts.isDirectory: throw AuditRootError(message: "--root \(root): not a directory")
        case .success: break
        }
        var trimmed = root
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.root = trimmed
    }

    /// `path` (absolute, as on the audited system) as the user finds it: under the root.
    public func display(_ path: String) -> String { root + path }

    /// What reading a file gave.
    public enum ReadResult: Sendable {
        /// No such file (or a directory on its way is missing): the setting's defaults apply.
        case missing
        case text(ConfigText)
        /// The file is there but was not read; the finding says why.
        case refused(AuditFinding)
    }

    /// Reads `path` (absolute, as on the audited system).
    public func read(_ path: String) -> ReadResult {
        let shown = display(path)
        func refuse(_ message: String, line: Int? = nil) -> ReadResult {
            .refused(AuditFinding(id: "unreadable-config", severity: .error, file: shown, line: line,
                                  message: message + ": not audited",
                                  fix: "audit reads regular text files under --root only"))
        }
        let real: String
        switch resolve(path) {
        case .missing: return .missing
        case .outside: return refuse("a symbolic link on the way leads out of --root")
        case .loop: return refuse("too many symbolic links (a loop?)")
        case .unreadable(let code): return refuse("cannot read: \(FileFactsError(code: code))")
        case .found(let found): real = found
        }
        // The type is checked before the file is opened: opening a device can act (a
        // watchdog arms, a tape rewinds), so only a regular file is ever opened.
        var before = stat()
        guard lstat(real, &before) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return .missing }
            return refuse("cannot read: \(FileFactsError(code: errno))")
        }
        guard before.st_mode & S_IFMT == S_IFREG else { return refuse("not a regular file") }
        let descriptor = open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else {
            if errno == ENOENT { return .missing }
            return refuse("cannot open: \(FileFactsError(code: errno))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return refuse("cannot stat: \(FileFactsError(code: errno))") }
        // Swapped between the check and the open (a tree someone else writes): not read.
        guard info.st_mode & S_IFMT == S_IFREG, info.st_dev == before.st_dev, info.st_ino == before.st_ino else {
            return refuse("changed while it was being opened")
        }
        guard Int(info.st_size) <= Self.maximumBytes else {
            return refuse("\(info.st_size) bytes, above the limit of \(Self.maximumBytes) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: Self.maximumBytes + 1)
        var count = 0
        while count < bytes.count {
            // Safety: reads into the array's own storage, at most its remaining capacity.
            let got = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress! + count, buffer.count - count)
            }
            if got < 0 {
                if errno == EINTR { continue }
                return refuse("cannot read: \(FileFactsError(code: errno))")
            }
            if got == 0 { break }
            count += got
        }
        guard count <= Self.maximumBytes else { return refuse("grew above the limit of \(Self.maximumBytes) bytes") }
        let data = bytes[..<count]
        if let zero = data.firstIndex(of: 0) {
            return refuse("a binary file (a NUL byte)", line: data[..<zero].count(where: { $0 == 0x0a }) + 1)
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            var decoder = UTF8()
            var iterator = data.makeIterator()
            var offset = 0
            while case .scalarValue(let scalar) = decoder.decode(&iterator) { offset += UTF8.width(scalar) }
            return refuse("not UTF-8 text", line: data.prefix(offset).count(where: { $0 == 0x0a }) + 1)
        }
        return .text(ConfigText(path: path, shown: shown, text: text))
    }

    /// The names in directory `path`, sorted: [] when there is no such directory; a refusal
    /// when it leads out of the root, cannot be read, or holds more than ``maximumEntries``.
    public func listing(_ path: String) -> Result<[String], AuditFinding> {
        func refuse(_ message: String) -> Result<[String], AuditFinding> {
            .failure(AuditFinding(id: "unreadable-config", severity: .error, file: display(path),
                                  message: "directory " + message + ": its files were not audited",
                                  fix: "audit reads directories under --root that it can list"))
        }
        let real: String
        switch resolve(path) {
        case .missing: return .success([])
        case .outside: return refuse("behind a symbolic link that leads out of --root")
        case .loop: return refuse("behind too many symbolic links (a loop?)")
        case .unreadable(let code): return refuse("cannot be read: \(FileFactsError(code: code))")
        case .found(let found): real = found
        }
        guard case .success(let facts) = FileFacts.of(real), facts.isDirectory else { return .success([]) }
        guard let directory = opendir(real) else { return refuse("cannot be read: \(FileFactsError(code: errno))") }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            guard names.count < Self.maximumEntries else { return refuse("holds more than \(Self.maximumEntries) entries") }
            // Safety: d_name is a NUL-terminated array inside the dirent readdir returned.
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return .success(names.sorted())
    }

    /// Whether `path` exists under the root (any type; links followed inside the root).
    public func exists(_ path: String) -> Bool {
        if case .found = resolve(path) { return true }
        return false
    }

    enum Resolution: Equatable {
        case found(String)
        case missing
        case outside
        case loop
        /// A component could not be examined (EACCES, EIO, ...): not "missing", which would
        /// let defaults pass for a file that is there.
        case unreadable(Int32)
    }

    /// `path` with every symbolic link resolved the way the audited system would, but inside
    /// the root: the real path on this machine, which is no link itself.
    func resolve(_ path: String) -> Resolution {
        var pending = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var done: [String] = []
        var links = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            if part == "." { continue }
            if part == ".." {
                guard !done.isEmpty else { return .outside }
                done.removeLast()
                continue
            }
            let candidate = root + "/" + (done + [part]).joined(separator: "/")
            var info = stat()
            guard lstat(candidate, &info) == 0 else {
                return errno == ENOENT || errno == ENOTDIR ? .missing : .unreadable(errno)
            }
            guard info.st_mode & S_IFMT == S_IFLNK else {
                done.append(part)
                continue
            }
            links += 1
            guard links <= 40 else { return .loop }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(candidate, &buffer, Int(PATH_MAX))
            guard length > 0 else { return length == 0 ? .missing : .unreadable(errno) }
            let target = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let targetParts = target.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            if target.hasPrefix("/") { done = [] }
            pending = targetParts + pending
        }
        return .found(root + "/" + done.joined(separator: "/"))
    }
}

/// `--root` is not a directory that can be audited (exit 2).
public struct AuditRootError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// A configuration file's text.
public struct ConfigText: Sendable {
    /// The path on the audited system (`/etc/libvirt/qemu.conf`).
    public var path: String
    /// The path findings name (under `--root`).
    public var shown: String
    public var text: String
    /// The lines, without their line ends (LF or CRLF). Split on scalars: in Swift "\r\n"
    /// is one Character, which a split on "\n" would not see.
    public var lines: [Substring] {
        text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            Substring(line.last == "\r" ? line.dropLast() : line)
        }
    }
}
