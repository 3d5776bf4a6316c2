import Policy

/// A policy that cannot be rendered for Windows, with every reason (file:line:column each).
public struct WindowsRenderError: Error, Hashable, Sendable, CustomStringConvertible {
    public var findings: [Finding]

    public init(_ findings: [Finding]) {
        self.findings = findings
    }

    public var description: String { findings.map(\.description).joined(separator: "\n") }
}

/// Collects render-time problems, so one run reports all of them.
struct RenderProblems {
    private(set) var findings: [Finding] = []

    mutating func error(_ location: SourceLocation, _ message: String, hint: String? = nil) {
        findings.append(Finding(id: "windows", severity: .error, location: location, message: message, hint: hint))
    }

    func throwIfAny() throws(WindowsRenderError) {
        if !findings.isEmpty { throw WindowsRenderError(findings) }
    }
}

extension Policy {
    /// Where to point a problem that belongs to the whole policy: the `windows` key when it
    /// was written, else the top of the file.
    var windowsLocation: SourceLocation {
        windows?.location ?? SourceLocation(file: path, line: 1, column: 1)
    }
}
