/// The rules Windows-side names follow, shared by the decoder (`windows` key) and the
/// Windows renderers (trusted host names): whatever passes them can only ever be data in a
/// generated PowerShell script.
public enum WindowsNames {
    /// Why `alias` cannot be a Windows interface alias, or nil when it can. Printable ASCII
    /// only (the scripts are ASCII), no wildcard characters (`-InterfaceAlias` takes patterns).
    public static func aliasProblem(_ alias: String) -> String? {
        if alias.isEmpty { return "is empty" }
        if alias.unicodeScalars.count > 256 { return "is longer than 256 characters" }
        for scalar in alias.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7f { return "contains a control character (\(hex(scalar)))" }
            if scalar.value > 0x7e { return "contains the non-ASCII character \(hex(scalar))" }
            if "*?[]".unicodeScalars.contains(scalar) { return "contains the wildcard character '\(scalar)'" }
        }
        if alias != alias.trimmingSpaces { return "starts or ends with a space" }
        return nil
    }

    /// Why `name` cannot be a DNS host or domain name (RFC 1123 labels: letters, digits and
    /// inner hyphens, 1-63 characters each, 253 in all), or nil when it can.
    public static func dnsNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > 253 { return "is longer than 253 characters" }
        for scalar in name.unicodeScalars where !(isLetterOrDigit(scalar) || scalar == "-" || scalar == ".") {
            return scalar.value < 0x20 || scalar.value > 0x7e
                ? "contains the character \(hex(scalar)); a DNS name has only letters, digits, '-' and '.'"
                : "contains '\(scalar)'; a DNS name has only letters, digits, '-' and '.'"
        }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            if label.isEmpty { return "has an empty label (two dots, or a dot at either end)" }
            if label.utf8.count > 63 { return "has a label longer than 63 characters" }
            if label.hasPrefix("-") || label.hasSuffix("-") { return "has a label starting or ending with '-'" }
        }
        return nil
    }

    /// Why `name` cannot be a computer name (the first label of a host name, which is also
    /// the NetBIOS name behind its `NAME$` account: at most 15 characters), or nil.
    public static func computerNameProblem(_ name: String) -> String? {
        if let problem = dnsNameProblem(name) { return problem }
        if name.contains(".") { return "is not a single label" }
        if name.utf8.count > 15 { return "is longer than 15 characters (a computer's NetBIOS name)" }
        if name.unicodeScalars.allSatisfy({ $0.value >= 0x30 && $0.value <= 0x39 }) { return "is all digits" }
        return nil
    }

    private static func isLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x30...0x39, 0x41...0x5a, 0x61...0x7a: true
        default: false
        }
    }

    private static func hex(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

private extension String {
    var trimmingSpaces: Substring {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
