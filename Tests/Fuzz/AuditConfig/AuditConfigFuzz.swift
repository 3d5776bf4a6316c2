import Audit
import Foundation
import Policy
import Prefix

/// The repository's standard profiles, found from this file's place in the repository.
let profiles = ProfileCatalog(directories: [
    String(#filePath.split(separator: "/Tests/Fuzz/").first ?? ".") + "/templates/profiles",
])

/// Where each input goes, and the profile whose audit reads it: the first byte picks one.
let targets: [(path: String, profile: String)] = [
    ("/etc/libvirt/qemu.conf", "libvirt"), ("/etc/libvirt/libvirtd.conf", "libvirt"),
    ("/etc/libvirt/virtproxyd.conf", "libvirt"), ("/etc/sasl2/libvirt.conf", "libvirt"),
    ("/etc/pve/datacenter.cfg", "proxmox"), ("/etc/pve/corosync.conf", "proxmox"),
    ("/etc/pve/firewall/cluster.fw", "proxmox"), ("/etc/hosts", "proxmox"),
    ("/etc/xapi.conf", "xen"), ("/etc/xen/xend-config.sxp", "xen"),
]

func policy(_ profile: String) -> Policy {
    try! PolicyLoader.load(text: """
        version: 1
        interface: mig0
        profile: \(profile)
        authentication: tls
        trusted:
          networks: [192.168.60.0/24]
          hosts: [192.168.60.11]
        """, path: "fuzz.yaml", profiles: profiles)
}
let policies = Dictionary(uniqueKeysWithValues: ["libvirt", "proxmox", "xen"].map { ($0, policy($0)) })
let nic = [InterfaceAddress(address: try! PrefixParser.parse("192.168.60.5"), subnet: try! PrefixParser.parse("192.168.60.0/24"))]

/// One scratch root per process; each input replaces the one file it is about.
let root: String = {
    var template = Array("/tmp/migfw-fuzz-audit.XXXXXX".utf8CString)
    // Safety: mkdtemp rewrites the template in place, within its NUL-terminated length.
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil, "mkdtemp failed")
    return String(cString: made!)
}()

/// libFuzzer entry point for the audit: any bytes, as one configuration file of a hypervisor,
/// audited against a policy of its profile. Checks beyond "no crash and no hang": every
/// finding's line is inside the file, and no message or fix carries a control character (a
/// terminal escape from a hostile file must come out escaped).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    // Safety: libFuzzer passes `size` readable bytes at `data`; they are copied at once.
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let target = targets[Int(bytes[0]) % targets.count]
    let content = Data(bytes.dropFirst())
    for (path, _) in targets { unlink(root + path) }
    let file = URL(fileURLWithPath: root + target.path)
    try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
    try! content.write(to: file)
    let context = AuditContext(policy: policies[target.profile]!, root: try! ConfigRoot(root), interfaceAddresses: nic)
    let report = Auditor.audit(context)
    let lines = content.count(where: { $0 == 0x0a }) + 1
    for finding in report.findings {
        if finding.file == root + target.path, let line = finding.line {
            precondition(line >= 1 && line <= lines, "finding outside the file: \(finding)")
        }
        for text in [finding.message, finding.fix ?? ""] {
            precondition(!text.unicodeScalars.contains { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) },
                         "a control character in a finding: \(finding.id)")
        }
    }
    return 0
}
