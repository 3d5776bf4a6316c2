import Prefix

/// libFuzzer entry point for ``PrefixParser``: any bytes, parsed as an address or prefix.
/// Checks beyond "no crash": a parsed prefix prints as text that parses back to itself, the
/// String and byte entry points agree, and masking host bits accepts whatever strict parsing
/// accepts, with the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Safety: libFuzzer passes `size` readable bytes at `data`; they are copied at once.
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let strict = try? PrefixParser.parse(bytes.span)
    let masked = try? PrefixParser.parse(bytes.span, hostBits: .mask)
    if let strict {
        precondition(masked == strict, "masking changed a prefix without host bits: \(strict)")
        precondition((try? PrefixParser.parse(strict.description)) == strict, "round trip failed: \(strict)")
    }
    if let masked {
        precondition((try? PrefixParser.parse(masked.description)) == masked, "round trip failed: \(masked)")
    }
    if let text = String(validating: bytes, as: UTF8.self) {
        precondition((try? PrefixParser.parse(text)) == strict, "String and byte parsing disagree")
    }
    return 0
}
