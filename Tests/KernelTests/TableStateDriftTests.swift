import Foundation
import Netlink
import Ruleset
import Testing
import TestSupport

/// Drift the set and chain comparison alone cannot see (review findings P1-1, P1-2): a
/// dormant table (every chain present, none hooked) and a catch-all element in a trusted set
/// (no key, matches every address). Each must show in `plan` (exit 2), be repaired by
/// `reconcile` (exit 2), and leave the ruleset exactly as apply made it (`plan` exit 0).
@Suite(.enabled(if: KernelGate.available, "kernel tests need root"), .serialized)
struct TableStateDriftTests {
    @Test func dormantTableIsReactivated() throws {
        try withPlanLab(tag: "dorm") { lab in
            let applied = try lab.run("apply")
            #expect(applied.status == 0, "\(applied.stderr)")
            let clean = try lab.ruleset()

            try lab.nft("add", "table", "inet", "migfw", "{ flags dormant; }")
            #expect(try lab.ruleset().contains("flags dormant"))
            let session = try NetlinkSession(namespace: lab.namespace.name)
            #expect(try #require(try session.readTable()).table.flags == [.dormant])

            let plan = try lab.run("plan")
            #expect(plan.status == 2, "\(plan.stdout)\(plan.stderr)")
            #expect(plan.stdout.contains("~ table inet migfw: flags dormant -> (none) (re-activated"), "\(plan.stdout)")
            #expect(plan.stdout.contains("Plan: table flags to change."), "\(plan.stdout)")
            let status = try migfw(["status", "--netns", lab.namespace.name])
            #expect(status.stdout.contains("DOES NOT MATCH"), "\(status.stdout)")

            let repair = try lab.run("reconcile")
            #expect(repair.status == 2, "\(repair.stdout)\(repair.stderr)")
            #expect(repair.stderr.contains("drift: table inet migfw had flags [\"dormant\"]"), "\(repair.stderr)")
            #expect(repair.stderr.contains("SECURITY"), "\(repair.stderr)")
            #expect(try #require(try session.readTable()).table.flags == [])

            let after = try lab.run("plan")
            #expect(after.status == 0, "\(after.stdout)")
            #expect(try lab.ruleset() == clean)
            #expect(try lab.run("reconcile").status == 0)
        }
    }

    @Test func catchAllInTrusted4IsRemoved() throws {
        try withPlanLab(tag: "catch") { lab in
            let applied = try lab.run("apply")
            #expect(applied.status == 0, "\(applied.stderr)")
            let clean = try lab.ruleset()
            let cleanSet = try lab.nft("list", "set", "inet", "migfw", "trusted4")
            let cleanTable = try #require(try NetlinkSession(namespace: lab.namespace.name).readTable()).table

            try Self.addCatchAll(in: lab.namespace, set: NamedSet.trusted4)
            let session = try NetlinkSession(namespace: lab.namespace.name)
            let driftedTable = try #require(try session.readTable()).table
            let drifted = try #require(driftedTable.set(named: NamedSet.trusted4))
            #expect(drifted.catchAll)
            // The catch-all is not read as a bogus element starting at 0.0.0.0.
            #expect(drifted.elements == cleanTable.set(named: NamedSet.trusted4)?.elements, "\(drifted.elements)")

            let plan = try lab.run("plan")
            #expect(plan.status == 2, "\(plan.stdout)\(plan.stderr)")
            for line in ["-/+ set trusted4", "with a catch-all element", "- * (catch-all: matches every key)",
                         "! set trusted4 holds a catch-all element (*): it trusts every address"] {
                #expect(plan.stdout.contains(line), "missing \(line) in:\n\(plan.stdout)")
            }
            #expect(!plan.stdout.contains("0.0.0.0/32"), "\(plan.stdout)")

            let repair = try lab.run("reconcile")
            #expect(repair.status == 2, "\(repair.stdout)\(repair.stderr)")
            #expect(repair.stderr.contains("possible intrusion: set trusted4 trusted addresses the policy does not (a catch-all element: every address)"),
                    "\(repair.stderr)")
            let repairedTable = try #require(try session.readTable()).table
            let repaired = try #require(repairedTable.set(named: NamedSet.trusted4))
            #expect(!repaired.catchAll)

            let after = try lab.run("plan")
            #expect(after.status == 0, "\(after.stdout)")
            #expect(try lab.nft("list", "set", "inet", "migfw", "trusted4") == cleanSet)
            // The re-created set is listed last; otherwise the table is the one apply made.
            let finalTable = try #require(try session.readTable()).table
            #expect(finalTable.sets.sorted { $0.name < $1.name } == cleanTable.sets.sorted { $0.name < $1.name })
            #expect(finalTable.chains == cleanTable.chains)
            #expect(try lab.ruleset().count == clean.count)
            #expect(try lab.run("reconcile", ["--full"]).status == 0)
        }
    }

    /// nft 1.0.6 crashes on `add element ... trusted4 { * }` for an interval set, so the
    /// catch-all goes in with one hand-built netlink batch (no key, flags CATCHALL).
    static func addCatchAll(in namespace: TestNamespace, set: String) throws {
        let script = """
            import socket, struct, sys
            def attr(kind, payload):
                length = 4 + len(payload)
                return struct.pack("=HH", length, kind) + payload + bytes((4 - length % 4) % 4)
            def message(kind, flags, seq, family, payload, res_id=0):
                body = struct.pack("=BBH", family, 0, socket.htons(res_id)) + payload
                return struct.pack("=IHHII", 16 + len(body), kind, flags, seq, 0) + body
            NESTED, REQUEST, ACK, CREATE = 0x8000, 1, 4, 0x400
            element = attr(1 | NESTED, attr(3, struct.pack(">I", 2)))  # LIST_ELEM { FLAGS: CATCHALL }
            payload = attr(1, b"migfw\\0") + attr(2, sys.argv[1].encode() + b"\\0") + attr(3 | NESTED, element)
            batch = (message(0x10, REQUEST, 1, 0, b"", 10)
                     + message((10 << 8) | 12, REQUEST | CREATE | ACK, 2, 1, payload)  # NEWSETELEM, inet
                     + message(0x11, REQUEST, 3, 0, b"", 10))
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
            sock.bind((0, 0))
            sock.send(batch)
            data, offset = sock.recv(65536), 0
            while offset < len(data):
                length, kind, _, seq, _ = struct.unpack_from("=IHHII", data, offset)
                if kind == 2:
                    error = struct.unpack_from("=i", data, offset + 16)[0]
                    if error != 0:
                        sys.exit(f"message {seq}: error {error}")
                    if seq == 2:
                        sys.exit(0)
                offset += (length + 3) & ~3
            sys.exit("no ACK")
            """
        try namespace.exec(["python3", "-c", script, set])
    }
}
