import Foundation

/// The result of running a program to completion.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs `arguments[0]` (looked up in PATH) with the rest as its arguments, feeding `input`.
@discardableResult
public func run(_ arguments: [String], input: String? = nil, environment: [String: String]? = nil) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let environment {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe(), err = Pipe(), inPipe = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = inPipe
    try process.run()
    if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
    try inPipe.fileHandleForWriting.close()
    // Read both pipes concurrently so a chatty child never blocks on a full pipe.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errData = readToEnd(err.fileHandleForReading)
        group.leave()
    }
    let outData = readToEnd(out.fileHandleForReading)
    group.wait()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// Everything `handle` yields until end of file. A read a signal interrupts is retried:
/// Foundation's `readDataToEndOfFile()` traps on EINTR (a test run crashed on it once).
public func readToEnd(_ handle: FileHandle) -> Data {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
        if count > 0 {
            data.append(contentsOf: buffer[0..<count])
        } else if count < 0 && errno == EINTR {
            continue
        } else {
            return data
        }
    }
}

/// Runs a command and throws with its output when it exits non-zero.
@discardableResult
public func runChecked(_ arguments: [String], input: String? = nil) throws -> CommandResult {
    let result = try run(arguments, input: input)
    guard result.status == 0 else {
        throw CommandFailed(arguments: arguments, result: result)
    }
    return result
}

public struct CommandFailed: Error, CustomStringConvertible {
    public var arguments: [String]
    public var result: CommandResult
    public var description: String {
        "\(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)\(result.stdout)"
    }
}

/// The package's root directory (where Package.swift is).
public let packageRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
    }
    fatalError("Package.swift not found above \(#filePath)")
}()

/// The built `migfw` binary: `$MIGFW_BIN`, else next to the test bundle.
public let migfwBinary: String = {
    if let path = ProcessInfo.processInfo.environment["MIGFW_BIN"] { return path }
    let beside = Bundle.main.bundleURL.appendingPathComponent("migfw").path
    if FileManager.default.isExecutableFile(atPath: beside) { return beside }
    return packageRoot.appendingPathComponent(".build/debug/migfw").path
}()

/// Runs the built `migfw` with `arguments`.
@discardableResult
public func migfw(_ arguments: [String], input: String? = nil, environment: [String: String]? = nil) throws -> CommandResult {
    // migfw's state files (plan/reconcile fast path) go to a test directory, not the host's /run.
    let isolated = ["MIGFW_STATE_DIR": migfwTestStateDirectory].merging(environment ?? [:]) { $1 }
    return try run([migfwBinary] + arguments, input: input, environment: isolated)
}

/// Where `migfw(...)` runs keep migfw's state files (`MIGFW_STATE_DIR`).
public let migfwTestStateDirectory = FileManager.default.temporaryDirectory
    .appendingPathComponent("migfw-test-state").path

/// A directory under the temporary directory that only this user can write, for tests that
/// keep migfw's records (state, rollback) directly: migfw refuses a shared one such as /tmp.
public let privateTemporaryDirectory: String = {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mfwt-private-\(getpid())").path
    mkdir(path, 0o700)
    chmod(path, 0o700)
    return path
}()
