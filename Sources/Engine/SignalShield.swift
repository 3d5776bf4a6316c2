#if canImport(Glibc)
import Glibc
#endif

/// The last SIGINT/SIGTERM/SIGQUIT caught while a ``SignalShield`` is up (0: none). Written
/// only by the signal handler, read by the waiting loop: a plain aligned word, like
/// sig_atomic_t.
nonisolated(unsafe) private var caughtSignal: Int32 = 0

/// While alive, the process survives what would otherwise kill or stop it between an
/// `apply --confirm` commit and its rollback:
/// - ignored: SIGHUP (an SSH drop, the very case --confirm exists for), SIGPIPE (output
///   through `| tee` whose reader died: the write fails instead), and the job-control stops
///   SIGTSTP, SIGTTIN, SIGTTOU (a stopped apply would never reach its deadline);
/// - recorded (``received``): SIGINT, SIGTERM, SIGQUIT, so the apply stops waiting and rolls
///   back instead of dying with the new ruleset in place.
/// SIGKILL and SIGSTOP cannot be caught; a killed apply leaves its pending file behind,
/// which `status`, `plan` and `reconcile` report. The previous dispositions come back when
/// the shield is released.
public final class SignalShield {
    private static let ignored = [SIGHUP, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU]
    private static let recorded = [SIGINT, SIGTERM, SIGQUIT]
    private var previous: [Int32: sigaction] = [:]

    public init() {
        caughtSignal = 0
        // A parent may hand down a mask that blocks them (seen under test runners): a blocked
        // SIGTERM would only be noticed after the wait. Unblocked here, on the waiting thread.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in Self.ignored + Self.recorded { sigaddset(&unblock, signal) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for signal in Self.ignored + Self.recorded {
            var action = sigaction()
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            if Self.ignored.contains(signal) {
                action.__sigaction_handler.sa_handler = SIG_IGN
            } else {
                action.__sigaction_handler.sa_handler = { caughtSignal = $0 }
            }
            var old = sigaction()
            if sigaction(signal, &action, &old) == 0 { previous[signal] = old }
        }
    }

    /// SIGINT, SIGTERM or SIGQUIT, if one arrived since the shield went up.
    public var received: Int32? { caughtSignal == 0 ? nil : caughtSignal }

    deinit {
        for (signal, old) in previous {
            var action = old
            sigaction(signal, &action, nil)
        }
    }
}
