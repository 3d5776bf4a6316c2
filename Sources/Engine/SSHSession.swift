import Foundation

/// The SSH session a command runs in, for the lockout guard. `sudo` resets the environment
/// (Debian's default `env_reset` drops `SSH_CONNECTION`), so where the variable is missing
/// the session is looked up in the environments of the process's ancestors (the login
/// shell sshd started has it), which root can read in `/proc/PID/environ`.
public enum SSHSession {
    /// How many ancestors are looked at, at most (sudo, a shell or two, sshd's session).
    static let maximumDepth = 16

    /// `SSH_CONNECTION` (`client-ip client-port server-ip server-port`) from `environment`,
    /// else from the nearest ancestor of process `pid` that has it; nil when none has.
    public static func connection(environment: [String: String], procRoot: String = "/proc",
                                  pid: Int32 = getpid()) -> String? {
        if let own = environment["SSH_CONNECTION"], !own.isEmpty { return own }
        var current = pid
        for _ in 0..<maximumDepth {
            guard let parent = parent(of: current, procRoot: procRoot), parent > 1 else { return nil }
            if let found = variable("SSH_CONNECTION", of: parent, procRoot: procRoot), !found.isEmpty { return found }
            current = parent
        }
        return nil
    }

    /// The parent of `pid` (`/proc/PID/stat` field 4, counted after the command name).
    static func parent(of pid: Int32, procRoot: String) -> Int32? {
        guard let data = FileManager.default.contents(atPath: "\(procRoot)/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    /// One variable of process `pid`'s initial environment (`/proc/PID/environ`, NUL-separated).
    static func variable(_ name: String, of pid: Int32, procRoot: String) -> String? {
        guard let data = FileManager.default.contents(atPath: "\(procRoot)/\(pid)/environ") else { return nil }
        let prefix = Array((name + "=").utf8)
        for entry in data.split(separator: 0) where entry.starts(with: prefix) {
            return String(decoding: entry.dropFirst(prefix.count), as: UTF8.self)
        }
        return nil
    }
}
