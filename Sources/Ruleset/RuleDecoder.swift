/// Reads a rule's kernel expressions back into nft statements.
///
/// A rule decodes only if its statements lower to exactly the same expressions, so rendering
/// a decoded rule never hides a difference: anything else (a rule written by hand, a future
/// idiom) returns nil and the renderers fall back to the raw expression list.
public enum RuleDecoder {
    /// The statements of `expressions`, or nil when they are not one of the known idioms.
    public static func statements(_ expressions: [Expression]) -> [Statement]? {
        var reader = Reader(expressions: expressions)
        guard let statements = reader.readAll(),
              Statement.lowered(statements, family: reader.bridge ? .bridge : .inet) == expressions else { return nil }
        return statements
    }

    private struct Reader {
        let expressions: [Expression]
        var index = 0
        // Dependencies seen but not yet consumed by a payload load.
        var nfproto: UInt8?
        var l4proto: UInt8?
        /// An EtherType dependency (`meta protocol`) was read: the rule is a bridge table's.
        var bridge = false

        init(expressions: [Expression]) { self.expressions = expressions }

        func peek(_ offset: Int = 0) -> Expression? {
            index + offset < expressions.count ? expressions[index + offset] : nil
        }

        mutating func readAll() -> [Statement]? {
            var statements: [Statement] = []
            while let expression = peek() {
                switch expression {
                case .counter:
                    statements.append(.counter)
                    index += 1
                case .limit(let rate, let unit, let burst, let inverted):
                    statements.append(.limit(rate: rate, unitSeconds: unit, burst: burst, over: inverted))
                    index += 1
                case .log(let prefix, let level):
                    statements.append(.log(prefix: prefix, level: level))
                    index += 1
                case .verdict(let verdict):
                    statements.append(.verdict(verdict))
                    index += 1
                case .meta(.nfproto, .reg1):
                    guard nfproto == nil, case .cmp(.eq, .reg1, let data)? = peek(1), data.count == 1 else { return nil }
                    nfproto = data[0]
                    index += 2
                    continue
                case .meta(.protocol, .reg1):
                    guard case .cmp(let op, .reg1, let data)? = peek(1), data.count == 2 else { return nil }
                    // An IP EtherType right before a network-header load is that load's
                    // dependency (a bridge table's); anything else is a match of its own.
                    if op == .eq, nfproto == nil, let value = LoweringContext.nfproto(etherType: data),
                       case .payload(.network, _, _, .reg1)? = peek(2) {
                        nfproto = value
                        bridge = true
                        index += 2
                        continue
                    }
                    guard op == .eq || op == .neq else { return nil }
                    statements.append(.match(Match(.metaProtocol, .value(data), negated: op == .neq)))
                    index += 2
                case .meta(.l4proto, .reg1):
                    guard l4proto == nil, case .cmp(.eq, .reg1, let data)? = peek(1), data.count == 1 else { return nil }
                    l4proto = data[0]
                    index += 2
                    continue
                case .meta(let key, .reg1) where key == .iifname || key == .oifname:
                    guard case .cmp(let op, .reg1, let data)? = peek(1), op == .eq || op == .neq,
                          let name = Self.interfaceName(data) else { return nil }
                    statements.append(.match(Match(key == .iifname ? .iifname : .oifname, .interface(name),
                                                   negated: op == .neq)))
                    index += 2
                case .ct(.state, .reg1):
                    guard case .bitwise(.reg1, .reg1, 4, let mask, _)? = peek(1),
                          case .cmp(.neq, .reg1, _)? = peek(2),
                          let bits = hostOrderValue(mask) else { return nil }
                    statements.append(.match(Match(.ctState, .ctState(CtState(rawValue: bits)))))
                    index += 3
                case .payload(let base, let offset, let length, .reg1):
                    if case .dynsetUpdate(let set, .reg1)? = peek(1) {
                        guard let field = MatchField.field(base: base, offset: offset, length: length, l4proto: l4proto)
                        else { return nil }
                        statements.append(.update(set: set, key: field))
                        index += 2
                        nfproto = nil
                        l4proto = nil
                        continue
                    }
                    guard let field = MatchField.field(base: base, offset: offset, length: length, l4proto: l4proto),
                          let match = readPayloadValue(field) else { return nil }
                    statements.append(.match(match))
                    nfproto = nil
                    l4proto = nil
                default:
                    return nil
                }
                // A dependency must be followed directly by the load it guards.
                if nfproto != nil || l4proto != nil { return nil }
            }
            return nfproto == nil && l4proto == nil ? statements : nil
        }

        /// Reads the comparison after a payload load (the load is at `index`).
        mutating func readPayloadValue(_ field: MatchField) -> Match? {
            let width = field.width
            switch peek(1) {
            case .cmp(.gte, .reg1, let from)?:
                guard case .cmp(.lte, .reg1, let to)? = peek(2), from.count == width, to.count == width else { return nil }
                index += 3
                return Match(field, .range(from: from, to: to))
            case .cmp(let op, .reg1, let data)? where op == .eq || op == .neq:
                guard data.count == width else { return nil }
                index += 2
                return Match(field, .value(data), negated: op == .neq)
            case .range(.neq, .reg1, let from, let to)?:
                guard from.count == width, to.count == width else { return nil }
                index += 2
                return Match(field, .range(from: from, to: to), negated: true)
            case .lookup(let set, .reg1, let inverted)?:
                index += 2
                return Match(field, .set(set), negated: inverted)
            default:
                return nil
            }
        }

        /// A 16-byte NUL-padded name; wildcards (no NUL) and other lengths are not decoded.
        static func interfaceName(_ data: [UInt8]) -> String? {
            guard data.count == Match.interfaceNameSize, let end = data.firstIndex(of: 0), end > 0,
                  data[end...].allSatisfy({ $0 == 0 }) else { return nil }
            return String(validating: data[..<end], as: UTF8.self)
        }
    }
}
