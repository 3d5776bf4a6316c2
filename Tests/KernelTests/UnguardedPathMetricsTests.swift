import Foundation
import Testing
import TestSupport

/// Reconcile's metrics say when the policy itself leaves a way in unfiltered (#19):
/// `migfw_unguarded_paths{path="other_interfaces"}` is 1 with `other_interfaces: open`.
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct UnguardedPathMetricsTests {
    @Test func theOptOutIsAMetric() throws {
        try withPlanLab(tag: "unguard") { lab in
            #expect(try lab.run("apply").status == 0)
            #expect(try lab.run("reconcile", ["--metrics-file", lab.metricsFile]).status == 0)
            var metrics = try String(contentsOfFile: lab.metricsFile, encoding: .utf8)
            #expect(metrics.contains("migfw_unguarded_paths{path=\"other_interfaces\"} 0\n"), "\(metrics)")
            #expect(metrics.contains("migfw_unguarded_paths{path=\"unlisted_addresses\"} 0\n"), "\(metrics)")
            let policy = try String(contentsOfFile: lab.policyPath, encoding: .utf8)
            try (policy + "other_interfaces: open\n").write(toFile: lab.policyPath, atomically: true, encoding: .utf8)
            #expect(try lab.run("apply").status == 0)
            #expect(try lab.run("reconcile", ["--metrics-file", lab.metricsFile]).status == 0)
            metrics = try String(contentsOfFile: lab.metricsFile, encoding: .utf8)
            #expect(metrics.contains("migfw_unguarded_paths{path=\"other_interfaces\"} 1\n"), "\(metrics)")
        }
    }
}
