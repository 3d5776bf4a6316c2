import Foundation
import Testing

/// The JSON Schema in templates/ accepts every sample and rejects the corpus files whose
/// problem a schema can see. Validation runs in python3's `jsonschema` (draft 2020-12).
@Suite struct SchemaTests {
    static let schema = Repo.root.appendingPathComponent("templates/migfw.schema.json").path

    /// Prints one line per file: `valid PATH` or `invalid PATH: first message`.
    static let script = """
        import json, sys, yaml, jsonschema
        schema = json.load(open(sys.argv[1]))
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema)
        for path in sys.argv[2:]:
            errors = list(validator.iter_errors(yaml.safe_load(open(path))))
            print(("invalid %s: %s" % (path, errors[0].message)) if errors else ("valid " + path))
        """

    static func validate(_ paths: [String]) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, schema] + paths
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "python3 with yaml and jsonschema must run")
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func everySampleValidates() throws {
        let samples = Repo.sampleFiles().map { Repo.samples.appendingPathComponent($0).path }
        #expect(samples.count >= 7)
        let results = try Self.validate(samples)
        #expect(results == samples.map { "valid \($0)" })
    }

    @Test(arguments: [
        "unknown-key-top", "unknown-key-trusted", "bool-maybe", "version-unsupported", "interface-too-long",
        "interface-slash", "port-out-of-range", "port-protocol", "prefix-leading-zero", "prefix-length-33",
        "authentication-unknown", "hosts-not-a-list", "log-rate", "performance-unknown",
        "interface-quote", "interface-wildcard",
        "gateway-dedicated", "gateway-protected-missing", "gateway-protected-without-mode", "gateway-unknown-key",
        "gateway-via-unknown",
    ])
    func schemaRejectsCorpusFile(_ name: String) throws {
        let path = Repo.root.appendingPathComponent("Tests/PolicyTests/Corpus/\(name).yaml").path
        let results = try Self.validate([path])
        #expect(results.count == 1)
        #expect(results.first?.hasPrefix("invalid ") == true, "\(results)")
    }

    @Test func samplesPointEditorsAtTheSchema() throws {
        for sample in Repo.sampleFiles() {
            let text = try String(contentsOf: Repo.samples.appendingPathComponent(sample), encoding: .utf8)
            #expect(text.hasPrefix("# yaml-language-server: $schema=../templates/migfw.schema.json\n"), "\(sample)")
        }
    }
}
