import Netlink

/// Compare-and-swap attempts before giving up on a ruleset that keeps changing.
public let maximumCommitAttempts = 5

/// Runs `body` (read the generation id, decide, send a batch carrying that id) until the
/// kernel accepts the batch: a stale id (someone committed in between,
/// ``NetlinkError/generationChanged``) means nothing was applied, so it is read and decided
/// again, at most `attempts` times, then ``OperationError/keptChanging(attempts:)``. `body`
/// gets the attempt number, from 1.
func withGenerationRetry<T>(attempts: Int = maximumCommitAttempts, _ body: (Int) throws -> T) throws -> T {
    for attempt in 1...attempts {
        do {
            return try netlink { try body(attempt) }
        } catch EngineError.netlink(.generationChanged) {
            continue
        }
    }
    throw OperationError.keptChanging(attempts: attempts)
}
