@testable import Policy
import Testing

/// A `trusted.files` entry that is not a prefix list (a credentials file behind a glob or a
/// symlink) is refused without quoting it; a real list's bad token is quoted short (#20).
@Suite struct PrefixFileSecrecyTests {
    static let token = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"   // 40 characters

    static func policy(_ file: String) -> String {
        "version: 1\ninterface: mig0\nprofile: libvirt\ntrusted:\n  networks: [10.1.0.0/24]\n  files: [\(file)]\n"
    }

    @Test func aFileThatIsNoPrefixListIsRefusedQuotingNothing() throws {
        let scratch = try ScratchDirectory()
        _ = try scratch.write("credentials", "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = \(Self.token)\n")
        let errors = try loadErrors(Self.policy("credentials"), in: scratch)
        #expect(errors.count == 1)
        #expect(errors.first?.id == "prefix-list")
        #expect(errors.first?.location.line == 1)
        let text = errors.map { "\($0.message) \($0.hint ?? "")" }.joined()
        #expect(text.contains("not a prefix list"))
        for secret in [Self.token, "AKIAIOSFODNN7EXAMPLE", "default", "aws_secret"] {
            #expect(!text.contains(secret.prefix(6)), "quoted '\(secret.prefix(6))': \(text)")
        }
    }

    @Test func aListWithABadLineQuotesOnlyTheStartOfTheBadToken() throws {
        let scratch = try ScratchDirectory()
        _ = try scratch.write("list.txt", "# feed\n10.2.0.0/16\n192.0.2.0/24\n\(Self.token)\n")
        let errors = try loadErrors(Self.policy("list.txt"), in: scratch)
        #expect(errors.map(\.location.line) == [4])
        let message = try #require(errors.first?.message)
        #expect(message.contains("'wJalrXUtnFEM...'"), "\(message)")
        #expect(!message.contains(Self.token.dropFirst(12).prefix(6)))
    }

    @Test func aListStartingWithCommentsAndBlankLinesIsAList() throws {
        let scratch = try ScratchDirectory()
        _ = try scratch.write("list.txt", "# comment\n\n10.2.0.0/16\n10.3.0.0/33\n")
        let errors = try loadErrors(Self.policy("list.txt"), in: scratch)
        #expect(errors.map(\.location.line) == [4])
        #expect(errors.first?.message.contains("10.3.0.0/33") == true)
    }
}
