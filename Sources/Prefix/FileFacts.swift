#if canImport(Glibc)
import Glibc
#endif

/// What stat(2) says about a path: its type and size. Foundation's `attributesOfItem` also
/// looks up the owner's and group's names (reading /etc/passwd and /etc/group on every call),
/// which the apply path, reading a policy and its prefix lists, has no use for.
public struct FileFacts: Sendable, Equatable {
    public var isRegular: Bool
    public var isDirectory: Bool
    public var size: Int

    /// The facts about `path` (symbolic links followed), or the errno stat(2) failed with.
    public static func of(_ path: String) -> Result<FileFacts, FileFactsError> {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(FileFactsError(code: errno)) }
        let type = info.st_mode & S_IFMT
        return .success(FileFacts(isRegular: type == S_IFREG, isDirectory: type == S_IFDIR, size: Int(info.st_size)))
    }
}

/// A failed stat(2).
public struct FileFactsError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int32
    public init(code: Int32) { self.code = code }
    /// "no such file" for ENOENT, else the C library's text for the error, in lower case as
    /// migfw's other messages ("not a directory").
    public var description: String {
        guard code != ENOENT else { return "no such file" }
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
