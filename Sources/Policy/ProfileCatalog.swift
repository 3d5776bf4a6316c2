import Foundation

/// A hypervisor profile as its data file defines it.
public struct ProfileDefinition: Hashable, Sendable {
    /// The profile with its base ports.
    public var profile: Profile
    /// Named performance options and the extra ports each opens (Hyper-V: `smb` adds TCP 445).
    public var performanceOptions: [String: [MigrationPort]]
    /// The file it was read from.
    public var path: String
}

/// Finds and reads hypervisor profiles (`NAME.yaml`) from a list of directories; for each
/// name the first directory that has it wins, so `/etc/migfw/profiles` overrides the
/// packaged ones and a user can add a profile without a rebuild.
public struct ProfileCatalog: Sendable {
    public var directories: [String]

    public init(directories: [String]) {
        self.directories = directories
    }

    /// `$MIGFW_PROFILES_DIR`, `/etc/migfw/profiles`, `/usr/share/migfw/profiles`, then the
    /// first `templates/profiles` above the executable (the development build and the tests).
    public static var standard: ProfileCatalog {
        ProfileCatalog(directories: standardDirectories(
            environment: ProcessInfo.processInfo.environment, executable: executablePath()))
    }

    public static func standardDirectories(environment: [String: String], executable: String?) -> [String] {
        var directories: [String] = []
        if let override = environment["MIGFW_PROFILES_DIR"], !override.isEmpty { directories.append(override) }
        directories += ["/etc/migfw/profiles", "/usr/share/migfw/profiles"]
        if let executable {
            var url = URL(fileURLWithPath: executable).deletingLastPathComponent()
            while url.path != "/" && !url.path.isEmpty {
                let candidate = url.appendingPathComponent("templates/profiles").path
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
                    directories.append(candidate)
                    break
                }
                url.deleteLastPathComponent()
            }
        }
        return directories
    }

    private static func executablePath() -> String? {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return Bundle.main.executablePath
    }

    /// Profile names are plain words, so a name can never walk out of the directory.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d || $0 == 0x5f }
    }

    /// Every profile name found, sorted.
    public var names: [String] {
        var names = Set<String>()
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

    /// Reads and checks the profile file at `path`, as strictly as a policy.
    public static func read(name: String, path: String) throws(PolicyError) -> ProfileDefinition {
        let source = try SourceText.read(path: path, limit: 64 * 1024, what: "the profile file")
        let document = try YAMLDocument.compose(source)
        let reader = NodeReader(document: document)
        var ports: [MigrationPort] = []
        var options: [String: [MigrationPort]] = [:]
        var summary = ""
        if let entries = reader.mapping(document.root, path: "", known: ["summary", "ports", "performance"]) {
            if let (_, value) = entries["summary"] { summary = reader.string(value, path: "summary") ?? "" }
            if let (_, value) = entries["ports"] {
                ports = reader.ports(value, path: "ports").map(\.value)
            } else {
                reader.missing("ports", in: document.root, path: "", hint: "write ports: [] for a profile whose policy lists the ports")
            }
            if let (_, value) = entries["performance"], case .mapping(let mapping) = value {
                for (key, optionPorts) in mapping {
                    guard let option = document.keyText(key) else { continue }
                    options[option] = reader.ports(optionPorts, path: "performance.\(option)").map(\.value)
                }
            } else if let (_, value) = entries["performance"] {
                _ = reader.mapping(value, path: "performance", known: [])
            }
        }
        if !reader.findings.isEmpty { throw PolicyError(reader.findings) }
        return ProfileDefinition(profile: Profile(name: name, summary: summary, ports: ports),
                                 performanceOptions: options, path: path)
    }
}
