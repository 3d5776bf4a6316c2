import Foundation
import Prefix

/// The text of a file read with a size bound, and conversions from positions to locations.
struct SourceText: Sendable {
    let path: String
    let text: String
    /// The lines, without their terminators, as Unicode scalars (libyaml counts columns in scalars).
    let lines: [[Unicode.Scalar]]

    init(path: String, text: String) {
        self.path = path
        self.text = text
        var lines: [[Unicode.Scalar]] = [[]]
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            // \r\n, \r and \n all end a line, as in libyaml.
            if scalar == "\n" {
                if !previousWasCR { lines.append([]) }
                previousWasCR = false
            } else if scalar == "\r" {
                lines.append([])
                previousWasCR = true
            } else {
                lines[lines.count - 1].append(scalar)
                previousWasCR = false
            }
        }
        self.lines = lines
    }

    /// A location in this file (1-based line and column).
    func location(line: Int, column: Int) -> SourceLocation {
        SourceLocation(file: path, line: line, column: column)
    }

    /// The location of the `offset`-th Unicode scalar of the text (0-based).
    func location(scalarOffset offset: Int) -> SourceLocation {
        var remaining = offset
        for (index, line) in lines.enumerated() {
            if remaining <= line.count { return location(line: index + 1, column: remaining + 1) }
            remaining -= line.count + 1
        }
        return location(line: lines.count, column: (lines.last?.count ?? 0) + 1)
    }

    /// Reads `path` as UTF-8, refusing files above `limit` bytes and anything that is not a
    /// regular file (a FIFO or /dev/zero would otherwise block or never end).
    static func read(path: String, limit: Int, what: String) throws(PolicyError) -> SourceText {
        let start = SourceLocation(file: path, line: 1, column: 1)
        func fail(_ id: String, _ message: String, _ hint: String? = nil, at location: SourceLocation? = nil) -> PolicyError {
            PolicyError([Finding(id: id, severity: .error, location: location ?? start, message: message, hint: hint)])
        }
        let data: Data
        do {
            let facts: FileFacts
            switch FileFacts.of(path) {
            case .success(let found): facts = found
            case .failure(let error): throw fail("unreadable", "cannot read \(what): \(error)")
            }
            if !facts.isRegular {
                throw fail("unreadable", "\(what) is not a regular file")
            }
            if facts.size > limit {
                throw fail("too-large", "\(what) is \(facts.size) bytes, above the limit of \(limit) bytes")
            }
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw fail("unreadable", "cannot open \(what)")
            }
            defer { try? handle.close() }
            // Read one byte past the limit: the file may have grown since stat.
            data = try handle.read(upToCount: limit + 1) ?? Data()
        } catch let error as PolicyError {
            throw error
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            throw fail("unreadable", "cannot read \(what): no such file")
        } catch {
            throw fail("unreadable", "cannot read \(what): \(error.localizedDescription)")
        }
        if data.count > limit {
            throw fail("too-large", "\(what) is above the limit of \(limit) bytes")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            let offset = invalidUTF8Offset(data)
            let valid = String(decoding: data.prefix(offset), as: UTF8.self)
            let location = SourceText(path: path, text: valid).location(scalarOffset: valid.unicodeScalars.count)
            throw fail("encoding", "\(what) is not valid UTF-8", at: location)
        }
        // A leading byte order mark (Windows editors write one) is not YAML; prefix lists
        // already skip it, so policies do too.
        return SourceText(path: path, text: text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
    }

    /// The byte offset of the first byte that does not decode as UTF-8.
    private static func invalidUTF8Offset(_ data: Data) -> Int {
        var iterator = data.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput, .error: return offset
            }
        }
    }
}
