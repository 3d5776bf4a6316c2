import Prefix

/// The prefixes read from `trusted.files`, each with the file, line and column it was read
/// from, stored column by column.
///
/// A feed can hold 100k prefixes or more: stored as `[Located<AnyCIDR>]`, every entry would
/// carry its own copy of the file's path (a reference-counted string, retained and released
/// on every copy), and every pass over the feed would pay for it. Here the prefixes are one
/// plain array (``values``, what aggregation and the lints scan) and a location is built only
/// for the entries a finding names. As a collection it still yields `Located<AnyCIDR>`.
public struct PrefixListEntries: RandomAccessCollection, Hashable, Sendable, ExpressibleByArrayLiteral {
    /// The prefixes, in file order.
    public private(set) var values: [AnyCIDR] = []
    private var lines: [Int32] = []
    private var columns: [Int32] = []
    /// The files, in the order their entries were appended.
    private var files: [String] = []
    /// Index in ``values`` of each file's first entry (ascending; one per file).
    private var fileStarts: [Int] = []
    /// The file begun last, recorded in ``files`` only with its first entry, so that a file
    /// without entries leaves no trace and equal entries are stored alike.
    private var pendingFile: String?

    public init() {}

    /// Entries with their own locations (tests and hand-built policies).
    public init(_ located: some Sequence<Located<AnyCIDR>>) {
        for entry in located {
            append(entry.value, file: entry.location.file, line: entry.location.line, column: entry.location.column)
        }
    }

    public init(arrayLiteral elements: Located<AnyCIDR>...) { self.init(elements) }

    /// Appends `value`, read from `file` at `line`:`column`.
    public mutating func append(_ value: AnyCIDR, file: String, line: Int, column: Int) {
        pendingFile = file
        append(value, line: line, column: column)
    }

    /// Starts the entries of `file`: the next ``append(_:line:column:)`` calls are located in it.
    public mutating func beginFile(_ file: String) {
        pendingFile = file
    }

    /// Appends `value`, read at `line`:`column` of the file last begun (``beginFile(_:)``).
    public mutating func append(_ value: AnyCIDR, line: Int, column: Int) {
        if let file = pendingFile {
            // A file continuing the last one's entries (the same name) is one run of them.
            if files.last != file {
                files.append(file)
                fileStarts.append(values.count)
            }
            pendingFile = nil
        }
        precondition(!files.isEmpty, "beginFile(_:) comes first")
        values.append(value)
        lines.append(Int32(clamping: line))
        columns.append(Int32(clamping: column))
    }

    /// Makes room for `count` more entries.
    public mutating func reserveCapacity(adding count: Int) {
        values.reserveCapacity(values.count + count)
        lines.reserveCapacity(lines.count + count)
        columns.reserveCapacity(columns.count + count)
    }

    /// Drops the entries from `count` on (a file that turned out bad contributes none).
    public mutating func truncate(to count: Int) {
        guard count <= values.count else { return }
        values.removeSubrange(count...)
        lines.removeSubrange(count...)
        columns.removeSubrange(count...)
        while let start = fileStarts.last, start >= count {
            fileStarts.removeLast()
            files.removeLast()
        }
        pendingFile = nil
    }

    /// Where entry `index` was written.
    public func location(at index: Int) -> SourceLocation {
        // The last file whose first entry is at or before `index`.
        var low = 0, high = fileStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if fileStarts[middle] <= index { low = middle } else { high = middle - 1 }
        }
        return SourceLocation(file: files[low], line: Int(lines[index]), column: Int(columns[index]))
    }

    /// Equal when they hold the same entries at the same locations.
    public static func == (lhs: PrefixListEntries, rhs: PrefixListEntries) -> Bool {
        lhs.values == rhs.values && lhs.lines == rhs.lines && lhs.columns == rhs.columns
            && lhs.files == rhs.files && lhs.fileStarts == rhs.fileStarts
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(values)
        hasher.combine(lines)
        hasher.combine(columns)
        hasher.combine(files)
        hasher.combine(fileStarts)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { values.count }

    public subscript(position: Int) -> Located<AnyCIDR> {
        Located(values[position], at: location(at: position))
    }
}
