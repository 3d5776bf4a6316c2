import Foundation
import Testing
import TestSupport

/// Review fixes: failed writes to standard output, compile refusing what apply refuses,
/// and standard input named twice for aggregate.
@Suite struct OutputAndRefusalTests {
    /// Runs migfw with standard output on /dev/full, where every write fails with ENOSPC.
    func migfwToFullDisk(_ arguments: [String], input: String? = nil) throws -> CommandResult {
        try run(["sh", "-c", "exec \"$0\" \"$@\" > /dev/full", migfwBinary] + arguments, input: input)
    }

    @Test func aggregateReportsAFailedWriteAndExits1() throws {
        let result = try migfwToFullDisk(["aggregate"], input: "10.0.0.1\n")
        #expect(result.status == 1)
        #expect(result.stderr == "migfw: cannot write output: No space left on device\n")
    }

    @Test func compileAndCheckReportAFailedWriteAndExit1() throws {
        try CompileFixture.withPolicy(CompileTests.policy) { path in
            for arguments in [["compile", "-c", path], ["compile", "-c", path, "--format", "cidr"],
                              ["check", "-c", path], ["check", "-c", path, "--json"]] {
                let result = try migfwToFullDisk(arguments)
                #expect(result.status == 1, "\(arguments)")
                #expect(result.stderr == "migfw: cannot write output: No space left on device\n", "\(arguments)")
            }
        }
    }

    @Test func compileRefusesAPolicyApplyWouldRefuse() throws {
        let everything = """
            version: 1
            interface: mig0
            profile: libvirt
            dedicated: true
            trusted:
              networks: [0.0.0.0/0]

            """
        try CompileFixture.withPolicy(everything) { path in
            let result = try migfw(["compile", "-c", path])
            #expect(result.status == 2)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("\(path):6:14: error: '0.0.0.0/0' trusts every IPv4 address in a dedicated migration network"))
            #expect(result.stderr.contains("migfw compile: the policy has errors"))
        }
        let allExcluded = """
            version: 1
            interface: mig0
            profile: libvirt
            trusted:
              networks: [10.1.0.0/24]
            exclude: [10.0.0.0/8]

            """
        try CompileFixture.withPolicy(allExcluded) { path in
            let result = try migfw(["compile", "-c", path, "--format", "cidr"])
            #expect(result.status == 2)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("the exclusions remove every trusted address"))
        }
    }

    @Test func aggregateRefusesStandardInputTwice() throws {
        for arguments in [["aggregate", "-", "--exclude", "-"], ["aggregate", "--exclude", "-"],
                          ["aggregate", "/dev/null", "--exclude", "-", "--exclude", "-"]] {
            let result = try migfw(arguments, input: "10.0.0.0/8\n")
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("standard input ('-') can be read only once"), "\(arguments)")
        }
        // One reader of standard input is still fine.
        let excluded = try migfw(["aggregate", "/dev/stdin", "--exclude", "/dev/null"], input: "10.0.0.0/8\n")
        #expect(excluded.status == 0)
        #expect(excluded.stdout == "10.0.0.0/8\n")
    }

    @Test func checkJSONTotalsCountFindingsPastTheCap() throws {
        let policy = """
            version: 1
            interface: mig0
            profile: libvirt
            trusted:
              files: [list.txt]

            """
        try CompileFixture.withPolicy(policy) { path in
            let list = (0..<200).map { "10.\($0 / 256).\($0 % 256).0/24\n" }.joined()
            let listPath = (path as NSString).deletingLastPathComponent + "/list.txt"
            try (list + list).write(toFile: listPath, atomically: true, encoding: .utf8)
            let result = try migfw(["check", "-c", path, "--json"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let findings = try #require(object["findings"] as? [[String: Any]])
            let shown = findings.filter { $0["id"] as? String == "duplicate" }
            #expect(shown.count == 51)
            let severity = try #require(shown.first?["severity"] as? String)
            let key = ["error": "errors", "warning": "warnings", "info": "infos"][severity] ?? ""
            #expect(object[key] as? Int == 200)
        }
    }
}
