import Foundation
import Prefix
import Yams

/// Turns a composed policy document into a `Policy`, reporting into its `NodeReader`.
final class PolicyDecoder {
    let reader: NodeReader
    let profiles: ProfileCatalog
    let root: Node
    /// Problems found in other files (profile, prefix lists).
    private(set) var extraFindings: [Finding] = []

    init(reader: NodeReader, profiles: ProfileCatalog, root: Node) {
        self.reader = reader
        self.profiles = profiles
        self.root = root
    }

    var path: String { reader.source.path }

    func decode() -> Policy? {
        let elsewhere = ["networks": "trusted", "hosts": "trusted", "files": "trusted", "drops": "log", "rate": "log", "via": "gateway"]
        guard let entries = reader.mapping(root, path: "", known: PolicyLoader.topLevelKeys, elsewhere: elsewhere) else {
            return nil
        }

        // A missing or mistyped version is reported and the rest is still read as version 1,
        // so one run shows every problem; an unsupported version stops here, since the keys
        // of another format would only produce noise.
        var versionValid = false
        if let (_, versionNode) = entries["version"] {
            if let version = reader.integer(versionNode, path: "version") {
                guard version == PolicyLoader.supportedVersion else {
                    reader.error("version", versionNode, "version: unsupported policy format version \(version)",
                                 hint: "this migfw reads version \(PolicyLoader.supportedVersion)")
                    return nil
                }
                versionValid = true
            }
        } else {
            reader.missing("version", in: root, path: "", hint: "start the policy with 'version: \(PolicyLoader.supportedVersion)'")
        }
        let version = PolicyLoader.supportedVersion

        let interfaces = decodeInterfaces(entries["interface"])
        var ports: [Located<MigrationPort>] = []
        if let (_, node) = entries["ports"] { ports = reader.ports(node, path: "ports") }
        // Bad port entries are already reported; "no ports" is only news when none were written.
        let portsWritten = entries["ports"].map { if case .sequence(let items) = $0.value { !items.isEmpty } else { true } } ?? false
        let profile = decodeProfile(entries["profile"], performance: entries["performance"], portsWritten: portsWritten)

        // Gateway mode filters migration ports only: `dedicated` has no meaning there.
        let gatewayMode = entries["mode"]?.value.scalar?.string == PolicyMode.gateway.rawValue
        let dedicated = entries["dedicated"].flatMap { reader.bool($0.value, path: "dedicated") } ?? !gatewayMode
        let egress = entries["egress"].flatMap { reader.bool($0.value, path: "egress") } ?? false
        let allowBroad = entries["allow_broad"].flatMap { reader.bool($0.value, path: "allow_broad") } ?? false
        let authentication: Located<Authentication>? = entries["authentication"].flatMap { entry in
            reader.choice(entry.value, path: "authentication", allowed: Authentication.allCases.map(\.rawValue))
                .flatMap(Authentication.init(rawValue:))
                .map { Located($0, at: reader.location(entry.value)) }
        }
        let trusted = entries["trusted"].map { decodeTrusted($0.key, $0.value) } ?? TrustedSources()
        let gateway = decodeGateway(entries)
        let exclude = entries["exclude"].map { reader.prefixes($0.value, path: "exclude") } ?? []
        let log = entries["log"].map { decodeLog($0.value) } ?? LogOptions()
        let windows = entries["windows"].map { decodeWindows($0.key, $0.value) }

        let hostOptions = decodeHostOptions(entries, gatewayMode: gatewayMode, interfaces: interfaces)

        guard versionValid, let interfaces, let interface = interfaces.first, let profile else { return nil }
        var policy = Policy(
            path: path, version: version, interface: interface, profile: profile.profile, ports: ports,
            dedicated: dedicated, egress: egress, authentication: authentication, trusted: trusted,
            exclude: exclude, log: log, allowBroad: allowBroad)
        policy.performance = profile.performance
        policy.windows = windows
        policy.gateway = gateway
        policy.interfaces = interfaces
        policy.otherInterfaces = hostOptions.otherInterfaces
        policy.shared = hostOptions.shared
        checkShared(policy)
        return policy
    }

    private func decodeProfile(
        _ entry: (key: Node, value: Node)?, performance: (key: Node, value: Node)?, portsWritten: Bool
    ) -> (profile: Located<Profile>, performance: Located<String>?)? {
        guard let (_, node) = entry else {
            reader.missing("profile", in: root, path: "",
                           hint: "one of \(profiles.names.joined(separator: ", "))")
            return nil
        }
        guard let name = reader.string(node, path: "profile") else { return nil }
        let known = profiles.names
        guard let source = profiles.source(for: name) else {
            let list = known.isEmpty ? "none found in \(profiles.directories.joined(separator: ", "))" : known.joined(separator: ", ")
            let hint = Suggestion.closest(to: name, among: known).map { "did you mean '\($0)'? (known profiles: \(list))" }
                ?? "known profiles: \(list)"
            reader.error("profile", node, "profile: unknown profile '\(name)'", hint: hint)
            return nil
        }
        let definition: ProfileDefinition
        do {
            definition = try profiles.read(name: name, source: source)
        } catch {
            reader.error("profile", node, "profile: the profile file \(source) is invalid")
            extraFindings += error.findings
            return nil
        }
        var profile = definition.profile
        if definition.profile.ports.isEmpty && !portsWritten {
            reader.error("ports", node, "profile: profile '\(name)' has no ports of its own, so the policy must list them in 'ports'",
                         hint: "add e.g. 'ports: [6600, udp/5000]'")
        }
        var chosen: Located<String>? = nil
        if let (_, optionNode) = performance {
            let options = definition.performanceOptions.keys.sorted()
            if options.isEmpty {
                reader.error("performance", optionNode, "performance: profile '\(name)' has no performance options",
                             hint: "remove 'performance'")
            } else if let option = reader.choice(optionNode, path: "performance", allowed: options) {
                profile.ports += definition.performanceOptions[option] ?? []
                chosen = Located(option, at: reader.location(optionNode))
            }
        }
        return (Located(profile, at: reader.location(node)), chosen)
    }

    /// `trusted` (or `protected`, which has the same shape): networks, hosts, files.
    private func decodeTrusted(_ key: Node, _ node: Node, section: String = "trusted") -> TrustedSources {
        var trusted = TrustedSources()
        trusted.location = reader.location(key)
        guard let entries = reader.mapping(node, path: section, known: ["networks", "hosts", "files"]) else { return trusted }
        if let (_, value) = entries["networks"] { trusted.networks = reader.prefixes(value, path: "\(section).networks") }
        if let (_, value) = entries["hosts"], let items = reader.sequence(value, path: "\(section).hosts") {
            for (index, item) in items.enumerated() {
                if let host = decodeHost(item, path: "\(section).hosts[\(index)]", section: section) { trusted.hosts.append(host) }
            }
        }
        if let (_, value) = entries["files"], let items = reader.sequence(value, path: "\(section).files") {
            for (index, item) in items.enumerated() {
                guard let pattern = reader.string(item, path: "\(section).files[\(index)]") else { continue }
                let located = Located(pattern, at: reader.location(item))
                trusted.files.append(located)
                readFiles(located, into: &trusted, section: section)
            }
        }
        return trusted
    }

    /// `mode`, `gateway` and `protected`: nil in host mode. The gateway keys without
    /// `mode: gateway`, or gateway mode without them, are errors.
    private func decodeGateway(_ entries: [String: (key: Node, value: Node)]) -> GatewayOptions? {
        var mode = PolicyMode.host
        if let (_, node) = entries["mode"],
           let name = reader.choice(node, path: "mode", allowed: PolicyMode.allCases.map(\.rawValue)) {
            mode = PolicyMode(rawValue: name) ?? .host
        }
        guard mode == .gateway else {
            for key in ["gateway", "protected"] {
                if let (keyNode, _) = entries[key] {
                    reader.error("gateway-key", keyNode, "\(key): only meaningful in gateway mode",
                                 hint: "add 'mode: gateway' (migfw then filters migration traffic passing through this machine), or remove '\(key)'")
                }
            }
            return nil
        }
        // (A non-boolean `dedicated` is reported where it is read.)
        if let (keyNode, value) = entries["dedicated"], value.scalar?.string == "true" {
            reader.error("dedicated", keyNode, "dedicated: has no meaning in gateway mode",
                         hint: "remove it: a gateway filters only migration ports to the protected hosts and leaves their other traffic alone")
        }
        var via: GatewayPath? = nil
        var side: [Located<String>] = []
        if let (_, node) = entries["gateway"],
           let options = reader.mapping(node, path: "gateway", known: ["via", "protected_side"]) {
            if let (_, value) = options["protected_side"] { side = protectedSide(value) }
            if let (_, value) = options["via"],
               let name = reader.choice(value, path: "gateway.via", allowed: GatewayPath.allCases.map(\.rawValue)) {
                via = GatewayPath(rawValue: name)
            } else if options["via"] == nil {
                reader.missing("via", in: node, path: "gateway", hint: "'via: routed' (an IP router) or 'via: bridge' (a Linux bridge)")
            }
        } else if entries["gateway"] == nil {
            reader.missing("gateway", in: root, path: "",
                           hint: "say how this machine sits on the path: 'gateway: { via: routed }' or 'gateway: { via: bridge }'")
        }
        guard let (protectedKey, protectedNode) = entries["protected"] else {
            reader.missing("protected", in: root, path: "",
                           hint: "list the hypervisors behind this gateway, e.g. 'protected: { hosts: [10.20.0.11] }'")
            return nil
        }
        let protected = decodeTrusted(protectedKey, protectedNode, section: "protected")
        guard let via else { return nil }
        var options = GatewayOptions(via: via, protected: protected, location: reader.location(protectedKey))
        options.protectedSide = side
        options.gatewayLocation = entries["gateway"].map { reader.location($0.key) }
        return options
    }

    private func decodeHost(_ node: Node, path: String, section: String = "trusted") -> TrustedHost? {
        var name: String? = nil
        let addressNode: Node
        let addressPath: String
        if case .mapping = node {
            guard let entries = reader.mapping(node, path: path, known: ["name", "address"]) else { return nil }
            if let (_, value) = entries["name"] { name = reader.string(value, path: "\(path).name") }
            guard let (_, value) = entries["address"] else {
                reader.missing("address", in: node, path: path)
                return nil
            }
            addressNode = value
            addressPath = "\(path).address"
        } else {
            addressNode = node
            addressPath = path
        }
        guard let address = reader.prefix(addressNode, path: addressPath) else { return nil }
        guard address.value.isHost else {
            reader.error("host", addressNode, "\(addressPath): '\(address.value)' is a network, not a single host",
                         hint: "move it to \(section).networks, or write the host's own address")
            return nil
        }
        return TrustedHost(name: name, address: address)
    }

    private func readFiles(_ pattern: Located<String>, into trusted: inout TrustedSources, section: String = "trusted") {
        let base = (path as NSString).deletingLastPathComponent
        let matches = PathGlob.expand(pattern.value, relativeTo: base.isEmpty ? "." : base,
                                      limit: PolicyLoader.maximumPrefixFiles)
        if matches.count > PolicyLoader.maximumPrefixFiles {
            reader.error("files", at: pattern.location,
                         "\(section).files: '\(pattern.value)' matches more than \(PolicyLoader.maximumPrefixFiles) files")
            return
        }
        if matches.isEmpty {
            let full = pattern.value.hasPrefix("/") || base.isEmpty
                ? pattern.value : (base as NSString).appendingPathComponent(pattern.value)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), isDirectory.boolValue {
                reader.error("files", at: pattern.location, "\(section).files: '\(pattern.value)' is a directory, not a prefix-list file",
                             hint: "match the files in it, e.g. '\((pattern.value as NSString).appendingPathComponent("*.txt"))'")
                return
            }
            trusted.unmatchedFiles.append(pattern)
        }
        for file in matches {
            extraFindings += PrefixListFile.read(path: file, into: &trusted.filePrefixes)
        }
    }

    private func decodeLog(_ node: Node) -> LogOptions {
        var options = LogOptions()
        guard let entries = reader.mapping(node, path: "log", known: ["drops", "rate"]) else { return options }
        if let (_, value) = entries["drops"], let drops = reader.bool(value, path: "log.drops") { options.drops = drops }
        if let (_, value) = entries["rate"], let text = reader.string(value, path: "log.rate") {
            if let rate = Self.rate(text) {
                options.rate = rate
            } else {
                reader.error("rate", value, "log.rate: '\(text)' is not a rate",
                             hint: "write COUNT/UNIT with a count of at least 1 and a unit of second, minute, hour or day, e.g. 10/second")
            }
        }
        return options
    }

    static func rate(_ text: String) -> RateLimit? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = NodeReader.decimal(String(parts[0])), count >= 1, count <= Int(UInt32.max),
              let unit = RateLimit.Unit(rawValue: String(parts[1]))
        else { return nil }
        return RateLimit(count: UInt32(count), unit: unit)
    }
}
