import Policy
import Ruleset

/// The repository's standard profiles, found from this file's place in the repository.
let profiles = ProfileCatalog(directories: [
    String(#filePath.split(separator: "/Tests/Fuzz/").first ?? ".") + "/templates/profiles",
])

/// libFuzzer entry point for the policy loader: any UTF-8 text, decoded as a policy file.
/// Checks beyond "no crash": a refused policy has at least one error, and every finding in
/// the policy file points at a line and column inside it (the file:line:column users act
/// on); an accepted policy compiles and renders as nft text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Safety: libFuzzer passes `size` readable bytes at `data`; they are copied at once.
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The loader refuses invalid UTF-8 while reading the file, before decoding.
    guard let text = String(validating: bytes, as: UTF8.self) else { return 0 }
    do {
        let policy = try PolicyLoader.load(text: text, path: "fuzz.yaml", profiles: profiles)
        _ = NftText.render(RulesetCompiler.compile(policy))
    } catch {
        precondition(error.findings.contains { $0.severity == .error }, "refused without an error")
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        for finding in error.findings where finding.location.file == "fuzz.yaml" {
            let location = finding.location
            precondition(location.line >= 1 && location.line <= lines.count + 1 && location.column >= 1,
                         "finding outside the file: \(finding)")
        }
    }
    return 0
}
