import Foundation
import Testing
import TestSupport

/// The JSON Schema (templates/migfw.schema.json) knows the `windows` key: editors flag what
/// the decoder refuses. Validation runs in python3's `jsonschema` (draft 2020-12).
@Suite struct WindowsSchemaTests {
    static let script = """
        import json, sys, yaml, jsonschema
        validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
        for text in sys.argv[2:]:
            print("valid" if validator.is_valid(yaml.safe_load(text)) else "invalid")
        """

    static func validate(_ windowsValues: [String]) throws -> [String] {
        let policies = windowsValues.map { "version: 1\ninterface: mig0\nprofile: hyperv\nwindows: \($0)\n" }
        let schema = packageRoot.appendingPathComponent("templates/migfw.schema.json").path
        let result = try run(["python3", "-c", script, schema] + policies)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test func acceptsWhatTheDecoderAccepts() throws {
        let good = [
            "{ interface_alias: 'vEthernet (LM)', migration_networks: [10.0.0.0/24, '2001:db8::/64'], domain: prod.example.com }",
            "{ interface_alias: \"it's $x ; `y\" }", "{}",
        ]
        #expect(try Self.validate(good) == Array(repeating: "valid", count: good.count))
    }

    @Test func rejectsWhatTheDecoderRefuses() throws {
        let bad = [
            "{ interface_alias: 'a*b' }", "{ interface_alias: 'a[0]' }", "{ interface_alias: 'a?' }",
            "{ interface_alias: \"a\\nb\" }", "{ interface_alias: '' }", "{ domain: 'ex ample.com' }",
            "{ domain: 'example..com' }", "{ migration_networks: [10.0.0.0/33] }", "{ unknown: 1 }",
            "[]",
        ]
        #expect(try Self.validate(bad) == Array(repeating: "invalid", count: bad.count))
    }
}
