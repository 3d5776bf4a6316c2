#!/usr/bin/env python3
"""Sort a system-wide kernel profile of one iperf3 run into netfilter's parts (packet-path.sh
--profile), and report the shares.

`perf_shares.py` reads `perf report --stdio --sort comm,sym -n --percent-limit 0` on stdin and
prints one line, "flow rules conntrack hooks": sample counts. `flow` counts the samples of the stream (iperf3,
ksoftirqd, and the softirqs the idle task runs; the idle routines themselves and every other
process are left out); the other three are the flow's samples in nftables rule evaluation,
connection tracking and netfilter's hook dispatch (see packet-path.sh --help).

`perf_shares.py report PROFILE SAMPLES CONFIG...` prints the table: PROFILE holds lines
"config cell run flow rules conntrack hooks", SAMPLES "config cell run Gbit/s ...".
"""
import re
import sys

FLOW_COMMS = re.compile(r"^(iperf3|ksoftirqd/\d+|swapper)$")
IDLE = re.compile(r"^(pv_native_safe_halt|native_safe_halt|default_idle\w*|arch_cpu_idle\w*|"
                  r"cpuidle\w*|do_idle|acpi_idle\w*|mwait_idle\w*|intel_idle\w*|poll_idle|"
                  r"cpu_idle_poll\w*|tick_nohz_idle_\w+|cpu_startup_entry)$")
PARTS = [
    ("rules", re.compile(r"^(nft_\w+|__nft_\w+|nf_tables_\w+)")),
    ("conntrack", re.compile(r"^(nf_conntrack\w*|__nf_conntrack\w*|nf_ct_\w+|__nf_ct_\w+|"
                             r"nf_confirm|ipv[46]_conntrack_\w+|ipv[46]_confirm|"
                             r"hash_conntrack\w*|ipv4_conntrack_defrag|ipv6_defrag|"
                             r"nf_ct_\w+|tcp_in_window|nf_tcp_\w+|nf_checksum\w*|nf_ip6?_checksum\w*)")),
    ("hooks", re.compile(r"^nf_hook_slow\w*")),
]
# "   0.32%   1699  iperf3   [k] nf_hook_slow"
LINE = re.compile(r"^\s*[\d.]+%\s+(\d+)\s+(\S+)\s+\[(.)\]\s+(\S+)")


def main():
    counts = {"flow": 0, "rules": 0, "conntrack": 0, "hooks": 0}
    for line in sys.stdin:
        m = LINE.match(line)
        if not m:
            continue
        samples, comm, _, symbol = int(m.group(1)), m.group(2), m.group(3), m.group(4)
        symbol = symbol.split(".", 1)[0]  # nft_foo.isra.0, br_nf_forward_ip.part.0
        if not FLOW_COMMS.match(comm) or (comm == "swapper" and IDLE.match(symbol)):
            continue
        counts["flow"] += samples
        for part, pattern in PARTS:
            if pattern.match(symbol):
                counts[part] += samples
                break
    print(counts["flow"], counts["rules"], counts["conntrack"], counts["hooks"])


CELLS = [("mig4", "mig0 IPv4, migration flow"), ("mig6", "mig0 IPv6, migration flow"),
         ("mgmt4", "mgmt0 IPv4"), ("mgmt6", "mgmt0 IPv6")]


def report(profile_path, samples_path, configs):
    from statistics import median
    shares, gbits = {}, {}
    for line in open(profile_path):
        config, cell, _, flow, *parts = line.split()
        if int(flow) > 0:
            shares.setdefault((config, cell), []).append([100.0 * int(p) / int(flow) for p in parts])
    for line in open(samples_path):
        config, cell, _, rate = line.split()[:4]
        gbits.setdefault((config, cell), []).append(float(rate))
    print("| path | config | Gbit/s | rules | conntrack | hooks | netfilter in all (min-max) | over none |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for cell, label in CELLS:
        # What the path pays with no table at all (the testbed's bridge: br_netfilter's hook
        # dispatch on the migration NIC's path) is not migfw's cost.
        baseline = median(sum(r) for r in shares.get(("none", cell), [[0, 0, 0]]))
        for config in configs:
            rows = shares.get((config, cell))
            if not rows:
                continue
            parts = [median(r[i] for r in rows) for i in range(3)]
            totals = [sum(r) for r in rows]
            print("| %s | %s | %.2f | %.2f%% | %.2f%% | %.2f%% | %.2f%% (%.2f-%.2f) | %+.2f |" % (
                label, config, median(gbits[(config, cell)]), *parts, median(totals), min(totals), max(totals),
                median(totals) - baseline))


if __name__ == "__main__":
    if sys.argv[1:2] == ["report"]:
        report(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        main()
