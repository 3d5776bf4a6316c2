/// One prefix of a prefix list and where it was written.
public struct PrefixListEntry: Hashable, Sendable {
    public let prefix: AnyCIDR
    /// 1-based line number.
    public let line: Int
    /// 1-based byte column where the prefix starts.
    public let column: Int

    public init(prefix: AnyCIDR, line: Int, column: Int) {
        self.prefix = prefix
        self.line = line
        self.column = column
    }
}

/// Reads prefix lists: one address or prefix a line (`10.0.0.0/8`, `192.0.2.1`, `2001:db8::/32`),
/// `#` starting a comment (a whole line or after the prefix), blank lines, and spaces, tabs and
/// CRs around the prefix allowed. A UTF-8 byte order mark at the start is skipped.
///
/// Usage: `try PrefixListReader.read(path:)` gives every entry with its line and column
/// (about 64 bytes an entry, fine for policy files); for a million lines use
/// ``forEachPrefix(in:_:)``, which keeps nothing but the file bytes. The scan works on
/// bytes, never splitting Strings, so a million lines take tens of milliseconds. The first
/// bad line stops the read with a ``PrefixListError`` naming its line and column.
public struct PrefixListReader: Sendable {
    /// 256 MiB: far above any real list (1M IPv6 prefixes are ~40 MB), low enough that a
    /// wrong path (a disk image, /dev/zero) fails fast instead of filling memory.
    public static let defaultSizeLimit = 256 << 20

    /// Files above this many bytes are rejected with ``PrefixListError/Reason/tooLarge(limit:)``.
    public var sizeLimit: Int
    /// Whether `10.0.0.1/24` is an error (the default) or read as `10.0.0.0/24`.
    public var hostBits: HostBitsPolicy
    /// Whether a named file must be a regular file (the default: a FIFO or device matched by
    /// a policy's glob must never block or feed a reconcile). `migfw aggregate` turns it off
    /// for the files a person names on its command line (`<(command)` is a pipe).
    public var regularFilesOnly: Bool

    public init(sizeLimit: Int = PrefixListReader.defaultSizeLimit, hostBits: HostBitsPolicy = .reject,
                regularFilesOnly: Bool = true) {
        self.sizeLimit = sizeLimit
        self.hostBits = hostBits
        self.regularFilesOnly = regularFilesOnly
    }

    /// Where a list comes from.
    public enum Source: Sendable, Hashable {
        case file(String)
        case standardInput

        /// The name used in messages: the path, or `<stdin>`.
        public var name: String {
            switch self {
            case .file(let path): path
            case .standardInput: "<stdin>"
            }
        }
    }

    /// Every entry of the file at `path`, in file order, with default limits and strict parsing.
    public static func read(path: String) throws(PrefixListError) -> [PrefixListEntry] {
        try PrefixListReader().read(.file(path))
    }

    /// Every entry of `source`, in order.
    public func read(_ source: Source) throws(PrefixListError) -> [PrefixListEntry] {
        var entries: [PrefixListEntry] = []
        try forEachPrefix(in: source) { prefix, line, column in
            entries.append(PrefixListEntry(prefix: prefix, line: line, column: column))
        }
        return entries
    }

    /// Every entry of `text`, named `source` in errors: for lists held in memory and tests.
    public func parse(_ text: String, source: String = "<text>") throws(PrefixListError) -> [PrefixListEntry] {
        var entries: [PrefixListEntry] = []
        let bytes = Array(text.utf8)
        try scan(bytes.span, source: source) { prefix, line, column in
            entries.append(PrefixListEntry(prefix: prefix, line: line, column: column))
        }
        return entries
    }

    /// Calls `body` with each prefix of `source` and its line and column, in order.
    public func forEachPrefix(
        in source: Source, _ body: (_ prefix: AnyCIDR, _ line: Int, _ column: Int) -> Void
    ) throws(PrefixListError) {
        try withContents(of: source) { (bytes) throws(PrefixListError) in
            try scan(bytes, source: source.name, body)
        }
    }

    /// Adds every prefix of `source` to `aggregator`, as included, or as excluded when `excluding`.
    public func add(
        _ source: Source, to aggregator: inout PrefixAggregator, excluding: Bool = false
    ) throws(PrefixListError) {
        try forEachPrefix(in: source) { prefix, _, _ in
            if excluding { aggregator.exclude(prefix) } else { aggregator.include(prefix) }
        }
    }

    /// Calls `body` with each good prefix of `source` and returns every bad line's error, so
    /// that one run shows all problems of a file; only whole-file problems (unreadable, too
    /// large) are thrown.
    public func forEachPrefixCollectingErrors(
        in source: Source, _ body: (_ prefix: AnyCIDR, _ line: Int, _ column: Int) -> Void
    ) throws(PrefixListError) -> [PrefixListError] {
        var problems: [PrefixListError] = []
        try withContents(of: source) { (bytes) throws(PrefixListError) in
            try scan(bytes, source: source.name, body, onError: { problems.append($0) })
        }
        return problems
    }

    /// Scans `bytes` line by line; `source` names them in errors. Without `onError` the first
    /// bad line is thrown; with it, each bad line is handed over and the scan goes on.
    public func scan(
        _ bytes: Span<UInt8>, source: String,
        _ body: (_ prefix: AnyCIDR, _ line: Int, _ column: Int) -> Void,
        onError: ((PrefixListError) -> Void)? = nil
    ) throws(PrefixListError) {
        func report(_ error: PrefixListError) throws(PrefixListError) {
            guard let onError else { throw error }
            onError(error)
        }
        let newline = UInt8(ascii: "\n"), hash = UInt8(ascii: "#")
        @inline(__always) func isBlank(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
        }
        let count = bytes.count
        var index = 0
        if count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { index = 3 }
        var line = 1
        var lineStart = index
        while index < count {
            while index < count && isBlank(bytes[index]) { index += 1 }
            if index == count { break }
            if bytes[index] == newline {
                index += 1
                line += 1
                lineStart = index
                continue
            }
            if bytes[index] != hash {
                let tokenStart = index
                while index < count {
                    let byte = bytes[index]
                    if byte == newline || byte == hash || isBlank(byte) { break }
                    index += 1
                }
                let token = bytes.extracting(tokenStart..<index)
                let column = tokenStart - lineStart + 1
                do {
                    body(try PrefixParser.parse(token, hostBits: hostBits), line, column)
                } catch {
                    try report(PrefixListError(.invalidPrefix(error), source: source, line: line,
                                               column: column + error.offset))
                    // The rest of a bad line is not looked at: one error a line.
                    while index < count && bytes[index] != newline { index += 1 }
                    continue
                }
                while index < count && isBlank(bytes[index]) { index += 1 }
                if index == count { break }
                if bytes[index] == newline { continue }
                if bytes[index] != hash {
                    var end = index
                    while end < count && bytes[end] != newline && bytes[end] != hash { end += 1 }
                    while end > index && isBlank(bytes[end - 1]) { end -= 1 }
                    let text = PrefixParser.text(bytes.extracting(index..<end))
                    try report(PrefixListError(.trailingText(text), source: source, line: line,
                                               column: index - lineStart + 1))
                }
            }
            // A comment: skip to the end of the line, leaving the newline for the loop.
            while index < count && bytes[index] != newline { index += 1 }
        }
    }
}
