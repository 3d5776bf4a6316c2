// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "migfw",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "migfw", targets: ["migfw"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // libnftnl + libmnl, imported through one module map. Only `Netlink` may depend on it.
        .systemLibrary(
            name: "CNftnl",
            pkgConfig: "libnftnl",
            providers: [.apt(["libnftnl-dev", "libmnl-dev"])]
        ),
        // Addresses, prefixes, strict parsing, aggregation. Pure Swift, no dependencies.
        .target(name: "Prefix"),
        // Policy model, YAML decoding with source locations, validation and lints.
        .target(name: "Policy", dependencies: ["Prefix", "Yams"], resources: []),
        // Plain Hashable nftables model, policy -> ruleset compiler, nft text/JSON rendering.
        .target(name: "Ruleset", dependencies: ["Prefix", "Policy"]),
        // The hypervisor's own migration settings (files under a root) against the policy. Pure:
        // the CLI hands it the migration NIC's addresses.
        .target(name: "Audit", dependencies: ["Policy", "Prefix"]),
        // The policy as idempotent PowerShell for Hyper-V hosts and Active Directory.
        .target(name: "WindowsRender", dependencies: ["Prefix", "Policy"]),
        // Desired vs actual ruleset diff.
        .target(name: "Plan", dependencies: ["Ruleset", "Prefix"]),
        // The only module that talks to the kernel (libnftnl/libmnl, setns, sockets).
        .target(name: "Netlink", dependencies: ["CNftnl", "Ruleset", "Prefix"]),
        // snapshot -> plan -> batch -> verify; locks, metrics, logging.
        .target(name: "Engine", dependencies: [
            "Policy", "Ruleset", "Plan", "Netlink", "Prefix",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Thin CLI: one file per subcommand.
        .executableTarget(name: "migfw", dependencies: [
            "Engine", "Policy", "Ruleset", "Plan", "Prefix", "WindowsRender", "Audit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Shared by the test targets: running commands, throwaway namespaces, the root gate.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "PrefixTests", dependencies: ["Prefix"]),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "Prefix"], resources: [.copy("Corpus")]),
        .testTarget(name: "RulesetTests", dependencies: ["Ruleset", "Policy", "Prefix", "TestSupport"]),
        .testTarget(name: "PlanTests", dependencies: ["Plan", "Ruleset", "Prefix"]),
        .testTarget(name: "KernelTests", dependencies: ["Engine", "Netlink", "Ruleset", "Policy", "Plan", "Prefix", "TestSupport", "migfw"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "migfw"]),
        // The engine on an in-memory kernel (no root): the fault paths.
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Netlink", "Ruleset", "Prefix", "TestSupport"]),
        .testTarget(name: "AuditTests", dependencies: ["Audit", "Policy", "Prefix", "TestSupport", "migfw"],
                    resources: [.copy("Corpus")]),
        .testTarget(name: "WindowsRenderTests", dependencies: ["WindowsRender", "Policy", "Prefix", "TestSupport", "migfw"]),
    ]
)

// libFuzzer harnesses (Tests/Fuzz), only with MIGFW_FUZZ=1: they are built with
// `-sanitize=fuzzer,address -parse-as-library` (libFuzzer supplies main), in their own
// scratch path, by Tests/Fuzz/run.sh. The normal build never sees them.
if Context.environment["MIGFW_FUZZ"] == "1" {
    package.targets += [
        .executableTarget(name: "FuzzPrefixParser", dependencies: ["Prefix"], path: "Tests/Fuzz/PrefixParser"),
        .executableTarget(name: "FuzzPrefixListReader", dependencies: ["Prefix"], path: "Tests/Fuzz/PrefixListReader"),
        .executableTarget(name: "FuzzPolicyDecoder", dependencies: ["Policy", "Ruleset"], path: "Tests/Fuzz/PolicyDecoder"),
        .executableTarget(name: "FuzzTableDump", dependencies: ["Netlink", "Ruleset", "Plan", "Prefix"], path: "Tests/Fuzz/TableDump"),
        .executableTarget(name: "FuzzAuditConfig", dependencies: ["Audit", "Policy", "Prefix"], path: "Tests/Fuzz/AuditConfig"),
    ]
}
