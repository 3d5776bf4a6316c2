import Foundation
import Synchronization

/// One TCP connection attempt: from a node of the testbed to an address and port.
public struct Probe: Hashable, Sendable, CustomStringConvertible {
    public var from: Testbed.Node
    public var address: String
    public var port: UInt16
    public init(from: Testbed.Node, to address: String, port: UInt16) {
        self.from = from
        self.address = address
        self.port = port
    }
    public var description: String {
        address.contains(":") ? "\(from) -> [\(address)]:\(port)" : "\(from) -> \(address):\(port)"
    }
}

/// How a connection attempt ended (`tcp.py probe`).
public enum ProbeOutcome: String, Sendable {
    /// The handshake completed.
    case open
    /// Reset: the host answered, nothing listens there.
    case refused
    /// No answer within the bound: the SYN (or its answer) was dropped.
    case timeout
    /// `connect()` failed with EPERM: dropped by a filter on the way out of this host.
    case blocked
    /// ICMP unreachable or no route.
    case unreachable

    public var connected: Bool { self == .open }
}

extension Testbed {
    /// Makes every attempt in `probes` at the same time, each bounded by `timeout` seconds,
    /// so a round costs about one timeout however many probes it holds.
    public func probe(_ probes: [Probe], timeout: Double = 1) throws -> [Probe: ProbeOutcome] {
        let byNode = Dictionary(grouping: probes, by: \.from)
        let nodes = Array(byNode.keys)
        let results = Mutex<[Probe: ProbeOutcome]>([:])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: nodes.count) { index in
            let node = nodes[index]
            let targets = byNode[node]!.map { "\($0.address),\($0.port)" }
            do {
                let output = try runChecked(
                    ["bash", Self.script, "probe", name, node.rawValue, "-t", String(timeout)] + targets).stdout
                var found: [Probe: ProbeOutcome] = [:]
                for line in output.split(separator: "\n") {
                    let fields = line.split(separator: " ").map(String.init)
                    guard fields.count == 3, let port = UInt16(fields[1]) else { continue }
                    let outcome = ProbeOutcome(rawValue: fields[2])
                    guard let outcome else {
                        failures.withLock { $0.append("\(node): unexpected probe result '\(line)'") }
                        continue
                    }
                    found[Probe(from: node, to: fields[0], port: port)] = outcome
                }
                results.withLock { $0.merge(found) { $1 } }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        if let failure = failures.withLock({ $0.first }) { throw ProbeFailed(message: failure) }
        let all = results.withLock { $0 }
        if let missing = probes.first(where: { all[$0] == nil }) {
            throw ProbeFailed(message: "no result for \(missing)")
        }
        return all
    }
}

public struct ProbeFailed: Error, CustomStringConvertible {
    public var message: String
    public var description: String { "probe failed: \(message)" }
}
