/// Renders a ``Table`` in the libnftables JSON schema (`nft -j -f` loads it): a `metainfo`
/// object, then the table, its sets, chains and rules as bare objects, which nft adds.
public enum NftJSON {
    /// The schema version nft 1.0.x reads and writes.
    public static let schemaVersion = 1

    /// The table as one JSON document.
    ///
    /// Throws ``RenderError`` for a rule that is not one of migfw's idioms or a set of a key
    /// type migfw does not model (JSON has no raw form for either); compiled tables always render.
    public static func render(_ table: Table) throws(RenderError) -> String {
        let family = ValueText.jsonString(table.family.rawValue)
        let tableName = ValueText.jsonString(table.name)
        let owner = "\"family\":\(family),\"table\":\(tableName)"
        var objects = [
            "{\"metainfo\":{\"json_schema_version\":\(schemaVersion)}}",
            "{\"table\":{\"family\":\(family),\"name\":\(tableName)}}",
        ]
        for set in table.sets {
            guard set.keyType != .unknown else { throw .unrepresentableSet(name: set.name) }
            var object = "{\"set\":{\(owner),\"name\":\(ValueText.jsonString(set.name)),\"type\":\"\(set.keyType.rawValue)\""
            var flags: [String] = []
            if set.flags.contains(.constant) { flags.append("\"constant\"") }
            if set.flags.contains(.interval) { flags.append("\"interval\"") }
            // nft 1.0.6's JSON parser has no `dynamic` flag: it sets NFT_SET_EVAL itself on
            // a set an `update` statement names.
            if set.flags.contains(.timeout) { flags.append("\"timeout\"") }
            if !flags.isEmpty { object += ",\"flags\":[\(flags.joined(separator: ","))]" }
            if let size = set.size { object += ",\"size\":\(size)" }
            // nft's JSON timeout is in seconds; migfw's set timeouts are whole seconds.
            if let timeout = set.timeoutMilliseconds { object += ",\"timeout\":\(timeout / 1000)" }
            if set.elementCounter { object += ",\"stmt\":[{\"counter\":null}]" }
            let elements = set.elements.jsonElements
            if !elements.isEmpty { object += ",\"elem\":[\n" + elements.joined(separator: ",\n") + "\n]" }
            objects.append(object + "}}")
        }
        for chain in table.chains {
            var object = "{\"chain\":{\(owner),\"name\":\(ValueText.jsonString(chain.name))"
            if let base = chain.base {
                object += ",\"type\":\"\(base.type.rawValue)\",\"hook\":\"\(base.hook.rawValue)\",\"prio\":\(base.priority)"
                object += ",\"policy\":\"\(base.policy == .drop ? "drop" : "accept")\""
            }
            objects.append(object + "}}")
        }
        for chain in table.chains {
            for rule in chain.rules {
                guard let statements = RuleDecoder.statements(rule.expressions),
                      let expr = render(statements) else {
                    throw .unrepresentable(chain: chain.name, rule: NftText.render(rule: rule))
                }
                var object = "{\"rule\":{\(owner),\"chain\":\(ValueText.jsonString(chain.name)),\"expr\":[\(expr)]"
                if let comment = rule.comment { object += ",\"comment\":\(ValueText.jsonString(comment))" }
                objects.append(object + "}}")
            }
        }
        return "{\"nftables\":[\n" + objects.joined(separator: ",\n") + "\n]}\n"
    }

    /// Why a table has no JSON form.
    public enum RenderError: Error, Hashable, Sendable, CustomStringConvertible {
        case unrepresentable(chain: String, rule: String)
        case unrepresentableSet(name: String)
        public var description: String {
            switch self {
            case .unrepresentable(let chain, let rule): "chain \(chain): rule has no JSON form: \(rule)"
            case .unrepresentableSet(let name): "set \(name): key type has no JSON form"
            }
        }
    }

    static func render(_ statements: [Statement]) -> String? {
        var parts: [String] = []
        for statement in statements {
            guard let part = render(statement) else { return nil }
            parts.append(part)
        }
        return parts.joined(separator: ",")
    }

    static func render(_ statement: Statement) -> String? {
        switch statement {
        case .match(let match):
            guard let right = render(match.value, of: match.field) else { return nil }
            let op = match.field == .ctState ? "in" : match.negated ? "!=" : "=="
            return "{\"match\":{\"op\":\"\(op)\",\"left\":\(left(match.field)),\"right\":\(right)}}"
        case .counter:
            return "{\"counter\":null}"
        case .limit(let rate, let unitSeconds, let burst, let over):
            guard let unit = ValueText.unitName(unitSeconds) else { return nil }
            return "{\"limit\":{\"rate\":\(rate),\"burst\":\(burst),\"per\":\"\(unit)\"\(over ? ",\"inv\":true" : "")}}"
        case .log(nil, nil):
            return "{\"log\":null}"
        case .log(let prefix, let level):
            var fields: [String] = []
            if let prefix { fields.append("\"prefix\":\(ValueText.jsonString(prefix))") }
            if let level { fields.append("\"level\":\"\(ValueText.levelName(level))\"") }
            return "{\"log\":{\(fields.joined(separator: ","))}}"
        case .verdict(let verdict):
            switch verdict {
            case .accept: return "{\"accept\":null}"
            case .drop: return "{\"drop\":null}"
            case .continue: return "{\"continue\":null}"
            case .return: return "{\"return\":null}"
            case .jump(let chain): return "{\"jump\":{\"target\":\(ValueText.jsonString(chain))}}"
            case .goto(let chain): return "{\"goto\":{\"target\":\(ValueText.jsonString(chain))}}"
            }
        case .update(let set, let key):
            return "{\"set\":{\"op\":\"update\",\"elem\":\(left(key)),\"set\":\(ValueText.jsonString("@" + set))}}"
        }
    }

    static func left(_ field: MatchField) -> String {
        switch field {
        case .iifname: "{\"meta\":{\"key\":\"iifname\"}}"
        case .oifname: "{\"meta\":{\"key\":\"oifname\"}}"
        case .ctState: "{\"ct\":{\"key\":\"state\"}}"
        case .metaProtocol: "{\"meta\":{\"key\":\"protocol\"}}"
        default: "{\"payload\":{\"protocol\":\"\(ValueText.protocolName(field)!)\",\"field\":\"\(ValueText.fieldName(field)!)\"}}"
        }
    }

    static func render(_ value: MatchValue, of field: MatchField) -> String? {
        switch value {
        case .interface(let name):
            return ValueText.jsonString(name)
        case .ctState(let state):
            guard let names = ValueText.ctStateNames(state) else { return nil }
            return names.count == 1 ? "\"\(names[0])\"" : "[" + names.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        case .value(let bytes):
            return ValueText.value(bytes, of: field, json: true)
        case .range(let from, let to):
            return "{\"range\":[\(ValueText.value(from, of: field, json: true, inRange: true)),"
                + "\(ValueText.value(to, of: field, json: true, inRange: true))]}"
        case .set(let name):
            return ValueText.jsonString("@" + name)
        }
    }
}
