import Yams

/// The keys that say where migration may arrive on a host: `interface` (one NIC or a list),
/// `other_interfaces` and `shared`.
extension PolicyDecoder {
    /// `interface: mig0` or `interface: [bond0, mig1]`: the migration NIC(s), first one first.
    func decodeInterfaces(_ entry: (key: Node, value: Node)?) -> [Located<String>]? {
        guard let (_, node) = entry else {
            reader.missing("interface", in: root, path: "", hint: "name the migration NIC, e.g. 'interface: mig0'")
            return nil
        }
        guard case .sequence(let sequence) = node else {
            return interfaceName(node, path: "interface").map { [$0] }
        }
        let items = Array(sequence)
        if items.isEmpty {
            reader.error("interface", node, "interface: the list of migration NICs is empty",
                         hint: "name at least one NIC, e.g. 'interface: mig0'")
            return nil
        }
        var names: [Located<String>] = []
        var valid = true
        for (index, item) in items.enumerated() {
            guard let name = interfaceName(item, path: "interface[\(index)]") else { valid = false; continue }
            if names.contains(where: { $0.value == name.value }) {
                reader.error("interface", item, "interface[\(index)]: '\(name.value)' is listed twice", hint: "remove the repetition")
                valid = false
                continue
            }
            names.append(name)
        }
        return valid ? names : nil
    }

    /// `gateway.protected_side: [port1]`: one name or a list, each a valid interface name.
    func protectedSide(_ node: Node) -> [Located<String>] {
        guard case .sequence(let sequence) = node else {
            return interfaceName(node, path: "gateway.protected_side").map { [$0] } ?? []
        }
        return Array(sequence).enumerated().compactMap { interfaceName($1, path: "gateway.protected_side[\($0)]") }
    }

    private func interfaceName(_ node: Node, path: String) -> Located<String>? {
        guard let name = reader.string(node, path: path) else { return nil }
        if let problem = InterfaceName.problem(name) {
            reader.error("interface", node, "\(path): \(problem)",
                         hint: "an interface name has 1-15 characters from A-Z, a-z, 0-9, '-', '_' and '.', and is not '.' or '..'")
            return nil
        }
        return Located(name, at: reader.location(node))
    }

    /// `other_interfaces` (host mode only) and `shared` (both modes: a gateway guards its
    /// protected side and its own connections on the migration-only ports); a list of NICs
    /// is host mode only.
    func decodeHostOptions(_ entries: [String: (key: Node, value: Node)], gatewayMode: Bool, interfaces: [Located<String>]?)
        -> (otherInterfaces: Located<OtherInterfaces>?, shared: [Located<MigrationPort>]) {
        let shared = entries["shared"].map { reader.ports($0.value, path: "shared") } ?? []
        if gatewayMode {
            for key in ["other_interfaces"] {
                if let (keyNode, _) = entries[key] {
                    reader.error("gateway-key", keyNode, "\(key): only meaningful in host mode",
                                 hint: "remove it: a gateway filters the migration ports toward the protected hosts only")
                }
            }
            if let (_, node) = entries["interface"], case .sequence = node, (interfaces?.count ?? 0) > 1 {
                reader.error("interface", node, "interface: gateway mode takes one interface (the router's NIC toward the protected hosts, or the bridge)",
                             hint: "name one interface")
            }
            return (nil, shared)
        }
        var otherInterfaces: Located<OtherInterfaces>? = nil
        if let (_, node) = entries["other_interfaces"],
           let value = reader.choice(node, path: "other_interfaces", allowed: OtherInterfaces.allCases.map(\.rawValue)) {
            otherInterfaces = OtherInterfaces(rawValue: value).map { Located($0, at: reader.location(node)) }
        }
        return (otherInterfaces, shared)
    }

    /// A `shared` port must be one of the policy's migration ports: anything else says nothing.
    func checkShared(_ policy: Policy) {
        for port in policy.shared {
            if !policy.migrationPorts.contains(where: { $0.covers(port.value) }) {
                reader.error("shared", at: port.location,
                             "shared: \(port.value) is not one of this policy's migration ports (\(policy.migrationPorts.map(\.description).joined(separator: ", ")))",
                             hint: "list only ports of the profile or of 'ports' that other NICs legitimately carry")
            }
        }
    }
}
