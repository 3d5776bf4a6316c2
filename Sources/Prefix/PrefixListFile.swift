import Foundation

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
        switch source {
        case .standardInput:
            handle = FileHandle.standardInput
        case .file(let path):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw failure(.unreadable("no such file"))
            }
            guard !isDirectory.boolValue else { throw failure(.unreadable("is a directory")) }
            // Refuse before reading when the size is known; pipes and /proc files are checked below.
            if case .success(let facts) = FileFacts.of(path), facts.size > sizeLimit {
                throw failure(.tooLarge(limit: sizeLimit))
            }
            guard let opened = FileHandle(forReadingAtPath: path) else {
                throw failure(.unreadable("permission denied or not a readable file"))
            }
            handle = opened
        }
        defer { if case .file = source { try? handle.close() } }
        var data = Data()
        do {
            if case .file = source {
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
}
