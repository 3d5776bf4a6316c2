import Foundation
#if canImport(Glibc)
import Glibc
#endif

// File access for PrefixListReader: the only Foundation use in Prefix, outside the scan.
extension PrefixListReader {
    /// Calls `body` with the bytes of `source`, read whole and bounded by ``sizeLimit``.
    func withContents(
        of source: Source, _ body: (Span<UInt8>) throws(PrefixListError) -> Void
    ) throws(PrefixListError) {
        let data = try load(source)
        try body(data.span)
    }

    /// The whole of `source`, or an error when it cannot be read or exceeds the limit.
    func load(_ source: Source) throws(PrefixListError) -> Data {
        func failure(_ reason: PrefixListError.Reason) -> PrefixListError {
            PrefixListError(reason, source: source.name)
        }
        let handle: FileHandle
        var regular = false
        switch source {
        case .standardInput:
            handle = FileHandle.standardInput
        case .file(let path) where regularFilesOnly:
            handle = try openRegularFile(path, failure: failure)
            regular = true
        case .file(let path):
            handle = try openNamed(path, failure: failure)
            regular = (try? FileFacts.of(path).get())?.isRegular ?? false
        }
        defer { if case .file = source { try? handle.close() } }
        var data = Data()
        do {
            if regular {
                data = try handle.read(upToCount: sizeLimit + 1) ?? Data()
            } else {
                // A pipe: reading "up to the limit" in one call crawled through small reads,
                // so read big chunks, checking the limit as the data arrives.
                while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                    data.append(chunk)
                    if data.count > sizeLimit { break }
                }
            }
        } catch {
            throw failure(.unreadable("\(error.localizedDescription)"))
        }
        guard data.count <= sizeLimit else { throw failure(.tooLarge(limit: sizeLimit)) }
        return data
    }

    /// Opens whatever `path` names (a pipe from `<(command)` included), except a directory.
    private func openNamed(
        _ path: String, failure: (PrefixListError.Reason) -> PrefixListError
    ) throws(PrefixListError) -> FileHandle {
        let facts = try readableFacts(path, failure: failure)
        if facts.isRegular, facts.size > sizeLimit { throw failure(.tooLarge(limit: sizeLimit)) }
        guard let opened = FileHandle(forReadingAtPath: path) else {
            throw failure(.unreadable("permission denied or not a readable file"))
        }
        return opened
    }

    /// What stat(2) says about `path`, refusing a missing path and a directory.
    private func readableFacts(
        _ path: String, failure: (PrefixListError.Reason) -> PrefixListError
    ) throws(PrefixListError) -> FileFacts {
        let facts: FileFacts
        switch FileFacts.of(path) {
        case .success(let found): facts = found
        case .failure(let error): throw failure(.unreadable("\(error)"))
        }
        guard !facts.isDirectory else { throw failure(.unreadable("is a directory")) }
        return facts
    }

    /// Opens `path` for reading if it is a regular file. A FIFO, a device or a socket is
    /// refused without opening it (opening a FIFO blocks until a writer comes: anyone who can
    /// write the feed directory could stall every cron reconcile), and the opened file is
    /// checked again, non-blocking, in case the name was swapped in between.
    private func openRegularFile(
        _ path: String, failure: (PrefixListError.Reason) -> PrefixListError
    ) throws(PrefixListError) -> FileHandle {
        let facts = try readableFacts(path, failure: failure)
        guard facts.isRegular else { throw failure(.unreadable("not a regular file (a FIFO, device or socket)")) }
        // Refuse before reading when the size is known.
        guard facts.size <= sizeLimit else { throw failure(.tooLarge(limit: sizeLimit)) }
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(.unreadable("permission denied or not a readable file")) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw failure(.unreadable("not a regular file (a FIFO, device or socket)"))
        }
        return handle
    }
}
