import Foundation

/// A hypervisor profile as its data file defines it.
public struct ProfileDefinition: Hashable, Sendable {
    /// The profile with its base ports.
    public var profile: Profile
    /// Named performance options and the extra ports each opens (Hyper-V: `smb` adds TCP 445).
    public var performanceOptions: [String: [MigrationPort]]
    /// Where it was read from: a file or the built-in text.
    public var source: ProfileSource
}

/// Where a profile definition comes from.
public enum ProfileSource: Hashable, Sendable, CustomStringConvertible {
    /// A `NAME.yaml` file in one of the catalog's directories.
    case file(String)
    /// The text compiled into the binary (templates/profiles at build time).
    case builtin

    public var description: String {
        switch self {
        case .file(let path): path
        case .builtin: "built-in"
        }
    }
}

/// Finds and reads hypervisor profiles: `NAME.yaml` files in a list of directories, then the
/// built-in ones compiled into the binary. For each name the first directory that has it
/// wins over later ones and over the built-in profile, so `/etc/migfw/profiles` overrides
/// or adds profiles without a rebuild, and a binary copied alone to a host still knows the
/// built-in ones.
public struct ProfileCatalog: Sendable {
    public var directories: [String]
    /// Built-in profiles: name -> YAML text.
    public var builtins: [String: String]

    public init(directories: [String], builtins: [String: String] = ProfileCatalog.builtinTexts) {
        self.directories = directories
        self.builtins = builtins
    }

    /// The profiles compiled into the binary, name -> YAML text.
    public static var builtinTexts: [String: String] { BuiltinProfiles.texts }

    /// `$MIGFW_PROFILES_DIR`, `/etc/migfw/profiles`, `/usr/share/migfw/profiles`, then the
    /// built-in profiles.
    public static var standard: ProfileCatalog {
        ProfileCatalog(directories: standardDirectories(environment: ProcessInfo.processInfo.environment))
    }

    public static func standardDirectories(environment: [String: String]) -> [String] {
        var directories: [String] = []
        if let override = environment["MIGFW_PROFILES_DIR"], !override.isEmpty { directories.append(override) }
        return directories + ["/etc/migfw/profiles", "/usr/share/migfw/profiles"]
    }

    /// Profile names are plain words, so a name can never walk out of the directory.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d || $0 == 0x5f }
    }

    /// Every profile name found, sorted.
    public var names: [String] {
        var names = Set(builtins.keys.filter(Self.isValidName))
        for directory in directories {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for entry in entries where entry.hasSuffix(".yaml") {
                let name = String(entry.dropLast(5))
                if Self.isValidName(name) { names.insert(name) }
            }
        }
        return names.sorted()
    }

    /// The file that defines `name`, when one does.
    public func path(for name: String) -> String? {
        guard Self.isValidName(name) else { return nil }
        for directory in directories {
            let path = (directory as NSString).appendingPathComponent("\(name).yaml")
            if FileManager.default.isReadableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Where the definition of `name` comes from: the first directory's file, else the
    /// built-in text.
    public func source(for name: String) -> ProfileSource? {
        if let path = path(for: name) { return .file(path) }
        return Self.isValidName(name) && builtins[name] != nil ? .builtin : nil
    }

    /// Reads and checks the definition of `name` from `source`.
    public func read(name: String, source: ProfileSource) throws(PolicyError) -> ProfileDefinition {
        switch source {
        case .file(let path):
            return try Self.read(name: name, path: path)
        case .builtin:
            guard let text = builtins[name] else {
                throw PolicyError([Finding(id: "profile", severity: .error,
                                           location: SourceLocation(file: "built-in:\(name)", line: 1, column: 1),
                                           message: "no built-in profile '\(name)'")])
            }
            return try Self.parse(name: name, source: SourceText(path: "built-in:\(name)", text: text), origin: .builtin)
        }
    }

    /// Reads and checks the profile file at `path`, as strictly as a policy.
    public static func read(name: String, path: String) throws(PolicyError) -> ProfileDefinition {
        let source = try SourceText.read(path: path, limit: 64 * 1024, what: "the profile file")
        return try parse(name: name, source: source, origin: .file(path))
    }

    static func parse(name: String, source: SourceText, origin: ProfileSource) throws(PolicyError) -> ProfileDefinition {
        let document = try YAMLDocument.compose(source)
        let reader = NodeReader(document: document)
        var ports: [MigrationPort] = []
        var options: [String: [MigrationPort]] = [:]
        var shared: [Located<MigrationPort>] = []
        var summary = ""
        if let entries = reader.mapping(document.root, path: "", known: ["summary", "ports", "shared", "performance"]) {
            if let (_, value) = entries["summary"] { summary = reader.string(value, path: "summary") ?? "" }
            if let (_, value) = entries["ports"] {
                ports = reader.ports(value, path: "ports").map(\.value)
            } else {
                reader.missing("ports", in: document.root, path: "", hint: "write ports: [] for a profile whose policy lists the ports")
            }
            if let (_, value) = entries["shared"] { shared = reader.ports(value, path: "shared") }
            if let (_, value) = entries["performance"], case .mapping(let mapping) = value {
                for (key, optionPorts) in mapping {
                    guard let option = document.keyText(key) else { continue }
                    options[option] = reader.ports(optionPorts, path: "performance.\(option)").map(\.value)
                }
            } else if let (_, value) = entries["performance"] {
                _ = reader.mapping(value, path: "performance", known: [])
            }
        }
        let allPorts = ports + options.values.flatMap { $0 }
        for port in shared where !allPorts.contains(where: { $0.covers(port.value) }) {
            reader.error("shared", at: port.location, "shared: \(port.value) is not one of the profile's ports",
                         hint: "list in 'shared' only ports of 'ports' or of a performance option that other NICs legitimately carry")
        }
        if !reader.findings.isEmpty { throw PolicyError(reader.findings) }
        return ProfileDefinition(profile: Profile(name: name, summary: summary, ports: ports, shared: shared.map(\.value)),
                                 performanceOptions: options, source: origin)
    }
}
