import Ruleset

/// Rule and verdict text for plan output.
public enum RuleText {
    /// One rule in nft syntax (the ruleset module's renderer; rules it cannot express in
    /// nft syntax come out in `nft --debug` form, so a diff never hides what the kernel holds).
    public static func describe(_ rule: Rule) -> String { NftText.render(rule: rule) }

    /// Raw bytes as `0x...` (elements of sets migfw does not model).
    public static func hex(_ bytes: [UInt8]) -> String {
        "0x" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// nft's spelling of a verdict.
    public static func verdictText(_ verdict: Verdict) -> String {
        switch verdict {
        case .accept: "accept"
        case .drop: "drop"
        case .continue: "continue"
        case .return: "return"
        case .jump(let chain): "jump \(chain)"
        case .goto(let chain): "goto \(chain)"
        }
    }
}
