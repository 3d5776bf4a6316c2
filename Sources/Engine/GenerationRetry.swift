import Netlink

/// Compare-and-swap attempts before giving up on a ruleset that keeps changing.
public let maximumCommitAttempts = 5

/// Thrown inside ``withGenerationRetry(attempts:_:)`` to read and decide again after the
/// kernel refused a batch that was planned from something now known to be wrong (nothing
/// was applied). On the last attempt, `cause` is what the caller sees.
struct RetryAfterRefusal: Error {
    var cause: NetlinkError
}

/// Runs `body` (read the generation id, decide, send a batch carrying that id) until the
/// kernel accepts the batch: a stale id (someone committed in between,
/// ``NetlinkError/generationChanged``) means nothing was applied, so it is read and decided
/// again, at most `attempts` times, then ``EngineError/keptChanging(attempts:)``. `body`
/// gets the attempt number, from 1. The one retry loop of apply, restore and snapshot.
func withGenerationRetry<T>(attempts: Int = maximumCommitAttempts, _ body: (Int) throws -> T) throws -> T {
    for attempt in 1...attempts {
        do {
            return try netlink { try body(attempt) }
        } catch EngineError.netlink(.generationChanged) {
            continue
        } catch let refusal as RetryAfterRefusal {
            if attempt == attempts { throw EngineError.netlink(refusal.cause) }
        }
    }
    throw EngineError.keptChanging(attempts: attempts)
}
