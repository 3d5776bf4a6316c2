import Netlink

/// Where a command's time went, phase by phase, in the order the phases ran (`--timings`).
public struct PhaseTimes: Sendable, CustomStringConvertible {
    /// One measured phase.
    public struct Phase: Sendable, Equatable {
        public var name: String
        public var seconds: Double
        /// A part of the phase before it ("of which ..."), not counted again in ``total``.
        public var isDetail: Bool
    }

    public private(set) var phases: [Phase] = []
    private let clock = ContinuousClock()
    private var mark: ContinuousClock.Instant

    public init() { mark = clock.now }

    /// Ends the running phase as `name` and starts the next one.
    public mutating func lap(_ name: String) {
        let now = clock.now
        add(name, seconds: (now - mark).seconds)
        mark = now
    }

    /// Adds a phase measured elsewhere.
    public mutating func add(_ name: String, seconds: Double) {
        phases.append(Phase(name: name, seconds: seconds, isDetail: false))
    }

    /// Adds a part of the phase just ended (shown as "of which", not counted twice).
    public mutating func detail(_ name: String, seconds: Double) {
        phases.append(Phase(name: name, seconds: seconds, isDetail: true))
    }

    /// Appends `other`'s phases and restarts the running phase now.
    public mutating func append(_ other: PhaseTimes) {
        phases += other.phases
        mark = clock.now
    }

    /// The time of the last phase called `name` (nil: none ran).
    public func seconds(of name: String) -> Double? {
        phases.last { $0.name == name }?.seconds
    }

    /// Sum of all phases.
    public var total: Double { phases.filter { !$0.isDetail }.reduce(0) { $0 + $1.seconds } }

    /// `name 1.2 ms, name 0.3 ms, ...`
    public var description: String {
        phases.map { "\($0.isDetail ? "(of which " : "")\($0.name) \(Self.format($0.seconds))\($0.isDetail ? ")" : "")" }
            .joined(separator: ", ")
    }

    /// Milliseconds with one decimal.
    public static func format(_ seconds: Double) -> String {
        let tenths = Int((seconds * 10_000).rounded())
        return "\(tenths / 10).\(tenths % 10) ms"
    }
}
