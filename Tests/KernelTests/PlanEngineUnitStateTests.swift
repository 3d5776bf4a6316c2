import Engine
import Foundation
import Netlink
import Prefix
import Ruleset
import Testing
import TestSupport

/// The state file's robustness and the retry rule, without a kernel.
@Suite struct PlanEngineUnitStateTests {
    static func temporaryPath(_ tag: String) -> String {
        URL(fileURLWithPath: privateTemporaryDirectory).appendingPathComponent("mfwt-\(tag)-\(getpid()).bin").path
    }

    @Test func stateCarriesThisBootsID() throws {
        let path = Self.temporaryPath("boot")
        defer { ApplyState.forget(path: path) }
        #expect(ApplyState.currentBootID.count == 36)   // a UUID from /proc/sys/kernel/random/boot_id
        let state = ApplyState(namespaceID: 1, generation: 2, digest: 3, sets: [])
        #expect(state.bootID == ApplyState.currentBootID)
        var other = state
        other.bootID = "00000000-0000-0000-0000-000000000000"
        try other.save(path: path)
        #expect(ApplyState.load(path: path)?.bootID == other.bootID)
        #expect(ApplyState.load(path: path) != state)
    }

    @Test func hugeElementCountInACorruptFileIsRejectedWithoutReserving() throws {
        let path = Self.temporaryPath("huge")
        defer { ApplyState.forget(path: path) }
        let state = ApplyState(namespaceID: 1, generation: 2, digest: 3,
                               sets: [NamedSet(name: "trusted4", elements: .ipv4([CIDR(host: IPv4Address(10, 0, 0, 1)).range]))])
        try state.save(path: path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // The element count is the 4 bytes before the one range (8 bytes) at the end.
        let countOffset = bytes.count - 8 - 4
        #expect(bytes[countOffset] == 1)
        for index in countOffset..<(countOffset + 4) { bytes[index] = 0xff }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        // 4 billion ranges claimed, one present: unreadable (nil), not a 32 GiB reservation.
        #expect(ApplyState.load(path: path) == nil)
    }

    @Test func onlyKernelRejectionsMeanNothingWasApplied() {
        #expect(NetlinkError.kernel(operation: "batch", errno: ENOENT, extack: nil).isRejection)
        #expect(NetlinkError.permissionDenied(operation: "batch").isRejection)
        #expect(!NetlinkError.system(call: "recv", errno: ENOBUFS).isRejection)
        #expect(!NetlinkError.malformedReply("short").isRejection)
    }
}
