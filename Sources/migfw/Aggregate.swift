import ArgumentParser
import Foundation
import Prefix

/// `migfw aggregate`: prefix lists in, the minimal CIDR cover out, like `iprange` or `aggregate6`.
struct Aggregate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate",
        abstract: "Merge prefix lists into the minimal exact CIDR cover (IPv4, then IPv6).",
        discussion: """
            Reads one address or prefix a line ('#' comments, blank lines allowed) from each FILE, \
            or standard input when there is none ('-' also means standard input), removes every \
            address of the --exclude lists, and prints the result: IPv4 first, ascending, then IPv6, \
            ascending, in RFC 5952 text. Bad lines are reported as FILE:LINE:COLUMN (exit 2).
            """
    )

    @Argument(help: "Prefix lists to merge (standard input when none).")
    var files: [String] = []

    @Option(name: .customLong("exclude"), help: "A prefix list whose addresses are removed (repeatable).")
    var exclusions: [String] = []

    @Option(help: "cidr: one prefix a line; range: first-last a line; count: prefixes, ranges and addresses per family.")
    var format: AggregateFormat = .cidr

    @Flag(help: "Read 10.0.0.1/24 as 10.0.0.0/24 instead of rejecting host bits.")
    var lenient = false

    func run() throws {
        let reader = PrefixListReader(hostBits: lenient ? .mask : .reject, regularFilesOnly: false)
        var aggregator = PrefixAggregator()
        do {
            for source in (files.isEmpty ? ["-"] : files).map(Self.source) {
                try reader.add(source, to: &aggregator)
            }
            if (files.isEmpty || files.contains("-")) && exclusions.contains("-") || exclusions.filter({ $0 == "-" }).count > 1 {
                // Standard input can be read only once; the second reader would see nothing.
                printError("migfw aggregate: standard input ('-') can be read only once; name it as a prefix list or as one --exclude, not both")
                throw ExitCode.invalidInput
            }
            for source in exclusions.map(Self.source) {
                try reader.add(source, to: &aggregator, excluding: true)
            }
        } catch {
            printError("\(error)")
            throw ExitCode.invalidInput
        }
        // `render` cannot throw from its callback: the first failed write is kept, later
        // chunks are dropped, and the failure ends the run after it.
        var failure: (any Error)? = nil
        // `consume`: the collected lists are then sorted in place rather than copied.
        (consume aggregator).aggregate().render(as: format) { chunk in
            guard failure == nil else { return }
            do { try StandardOutput.write(chunk) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    private static func source(_ argument: String) -> PrefixListReader.Source {
        argument == "-" ? .standardInput : .file(argument)
    }
}

extension AggregateFormat: ExpressibleByArgument {}
