#!/usr/bin/env python3
"""Helpers for aggregate.sh: data generation, the Python peers, and output comparison.

  generate DIR                 writes v4.txt (1M IPv4), v6.txt (100k IPv6), ex.txt (10k IPv4)
  ipaddress FILE [--exclude F] ipaddress.collapse_addresses (+ an interval sweep for exclusions)
  netaddr FILE                 netaddr.cidr_merge
  same OUT...                  exit 0 when all outputs are the same set of prefixes
  bench DIR MIGFW RUNS         runs every tool on every data set and prints the table
"""
import ipaddress
import os
import random
import statistics
import subprocess
import sys
import time


def generate(directory):
    rng = random.Random(20261129)

    def v4_prefix(length_weights):
        length = rng.choices(*zip(*length_weights))[0]
        address = rng.getrandbits(32)
        return f"{ipaddress.IPv4Address(address >> (32 - length) << (32 - length))}/{length}"

    # Mostly hosts and small blocks, some /16-/23 that swallow many of them (~35% of the
    # space is covered by the big ones), and 5% exact duplicates: many overlaps.
    v4_lengths = [(32, 55), (24, 10), (25, 4), (26, 4), (27, 4), (28, 4), (29, 4), (30, 4), (31, 1)] + \
                 [(n, 1.25) for n in range(16, 24)]
    lines = []
    for _ in range(1_000_000):
        if lines and rng.random() < 0.05:
            lines.append(rng.choice(lines))
        else:
            lines.append(v4_prefix(v4_lengths))
    with open(f"{directory}/v4.txt", "w") as out:
        out.write("\n".join(lines) + "\n")

    # 100k IPv6 inside 1024 random /32s: /40-/47 blocks, /48-/64 sites, /65-/128 hosts.
    bases = [(0x2000 << 112) | (rng.getrandbits(28) << 96) for _ in range(1024)]
    lines = []
    for _ in range(100_000):
        base = rng.choice(bases)
        roll = rng.random()
        length = rng.randint(40, 47) if roll < 0.02 else rng.randint(48, 64) if roll < 0.6 else rng.choice([128, 128, 127, 120, 112, 96, 80])
        address = base | rng.getrandbits(96)
        address = address >> (128 - length) << (128 - length)
        lines.append(f"{ipaddress.IPv6Address(address)}/{length}")
    with open(f"{directory}/v6.txt", "w") as out:
        out.write("\n".join(lines) + "\n")

    ex_lengths = [(32, 50)] + [(n, 3) for n in range(16, 32)]
    with open(f"{directory}/ex.txt", "w") as out:
        out.write("\n".join(v4_prefix(ex_lengths) for _ in range(10_000)) + "\n")


def read_networks(path):
    with open(path) as lines:
        return [ipaddress.ip_network(line.strip()) for line in lines if line.strip()]


def peer_ipaddress(path, exclude=None):
    networks = read_networks(path)
    v4 = list(ipaddress.collapse_addresses(n for n in networks if n.version == 4))
    v6 = list(ipaddress.collapse_addresses(n for n in networks if n.version == 6))
    if exclude:
        holes = list(ipaddress.collapse_addresses(read_networks(exclude)))
        v4 = subtract(v4, holes)
    sys.stdout.write("".join(f"{n}\n" for n in v4 + v6))


def subtract(networks, holes):
    """Sorted disjoint networks minus sorted disjoint holes, by a sweep over integer ranges."""
    result, cut = [], 0
    for network in networks:
        low, high = int(network.network_address), int(network.broadcast_address)
        while cut < len(holes) and int(holes[cut].broadcast_address) < low:
            cut += 1
        probe = cut
        while low <= high and probe < len(holes) and int(holes[probe].network_address) <= high:
            hole_low, hole_high = int(holes[probe].network_address), int(holes[probe].broadcast_address)
            if hole_low > low:
                result += ipaddress.summarize_address_range(ipaddress.IPv4Address(low), ipaddress.IPv4Address(hole_low - 1))
            low = hole_high + 1
            probe += 1
        if low <= high:
            result += ipaddress.summarize_address_range(ipaddress.IPv4Address(low), ipaddress.IPv4Address(high))
    return result


def peer_netaddr(path):
    import netaddr
    with open(path) as lines:
        merged = netaddr.cidr_merge([line.strip() for line in lines if line.strip()])
    sys.stdout.write("".join(f"{n}\n" for n in merged))


def normalized(path):
    """The output as a set of (version, network integer, length); /32 and /128 may be implicit."""
    result = set()
    with open(path) as lines:
        for line in lines:
            text = line.strip()
            if not text:
                continue
            if ":" in text:
                network = ipaddress.IPv6Network(text)
                result.add((6, int(network.network_address), network.prefixlen))
            else:
                address, _, length = text.partition("/")
                a, b, c, d = (int(part) for part in address.split("."))
                result.add((4, a << 24 | b << 16 | c << 8 | d, int(length or 32)))
    return result


def same(paths):
    reference = normalized(paths[0])
    for path in paths[1:]:
        other = normalized(path)
        if other != reference:
            print(f"DIFFERENT: {paths[0]} ({len(reference)} prefixes) vs {path} ({len(other)} prefixes); "
                  f"{len(reference - other)} only in the first, {len(other - reference)} only in the second")
            return 1
    print(f"same set: {len(reference)} prefixes in each of {len(paths)} outputs")
    return 0


def measure(command, output, runs):
    """Median wall seconds, median CPU seconds (user + system) and the largest peak RSS (MiB)
    over `runs` runs, stdout to `output`. CPU time is printed too because the machine is
    shared: other jobs stretch wall time, much less CPU time."""
    seconds, cpu, peaks = [], [], []
    for _ in range(runs):
        with open(output, "w") as out:
            start = time.perf_counter()
            subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", output + ".rss"] + command, stdout=out, check=True)
            seconds.append(time.perf_counter() - start)
        with open(output + ".rss") as rss:
            user, system, peak = rss.read().split()[-3:]
            cpu.append(float(user) + float(system))
            peaks.append(int(peak) / 1024)
    return statistics.median(seconds), statistics.median(cpu), max(peaks)


def bench(directory, migfw, runs):
    here = os.path.abspath(__file__)
    python = [sys.executable, here]
    data = {name: os.path.join(directory, name) for name in ("v4.txt", "v6.txt", "ex.txt")}
    # (data set, tool, command, runs): Python tools take tens of seconds, so they run once.
    plan = [
        ("1M IPv4", "migfw aggregate", [migfw, "aggregate", data["v4.txt"]], runs),
        ("1M IPv4", "iprange", ["iprange", data["v4.txt"]], runs),
        ("1M IPv4", "aggregate6", ["aggregate6", data["v4.txt"]], 1),
        ("1M IPv4", "netaddr cidr_merge", python + ["netaddr", data["v4.txt"]], 1),
        ("1M IPv4", "ipaddress collapse", python + ["ipaddress", data["v4.txt"]], 1),
        ("100k IPv6", "migfw aggregate", [migfw, "aggregate", data["v6.txt"]], runs),
        ("100k IPv6", "aggregate6", ["aggregate6", data["v6.txt"]], 1),
        ("100k IPv6", "netaddr cidr_merge", python + ["netaddr", data["v6.txt"]], 1),
        ("100k IPv6", "ipaddress collapse", python + ["ipaddress", data["v6.txt"]], 1),
        ("1M - 10k IPv4", "migfw aggregate", [migfw, "aggregate", data["v4.txt"], "--exclude", data["ex.txt"]], runs),
        ("1M - 10k IPv4", "iprange --except", ["iprange", data["v4.txt"], "--except", data["ex.txt"]], runs),
        ("1M - 10k IPv4", "ipaddress collapse", python + ["ipaddress", data["v4.txt"], "--exclude", data["ex.txt"]], 1),
    ]
    print(f"{'data set':<15} {'tool':<20} {'runs':>4} {'median s':>9} {'cpu s':>7} {'peak RSS MiB':>13} {'migfw faster':>13}")
    failures = 0
    for dataset in dict.fromkeys(entry[0] for entry in plan):
        outputs, mine = [], None
        for name, tool, command, count in (entry for entry in plan if entry[0] == dataset):
            output = os.path.join(directory, f"out-{len(outputs)}-{dataset.replace(' ', '')}.txt")
            seconds, cpu, peak = measure(command, output, count)
            outputs.append(output)
            if mine is None:
                mine = seconds
                ratio = "-"
            else:
                ratio = f"{seconds / mine:.1f}x"
            print(f"{dataset:<15} {tool:<20} {count:>4} {seconds:>9.3f} {cpu:>7.2f} {peak:>13.1f} {ratio:>13}", flush=True)
        print(f"{dataset:<15} outputs: ", end="", flush=True)
        failures += same(outputs)
    return failures


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == "generate":
        generate(arguments[0])
    elif command == "ipaddress":
        peer_ipaddress(arguments[0], arguments[2] if len(arguments) > 2 and arguments[1] == "--exclude" else None)
    elif command == "netaddr":
        peer_netaddr(arguments[0])
    elif command == "bench":
        sys.exit(bench(arguments[0], arguments[1], int(arguments[2])))
    elif command == "same":
        sys.exit(same(arguments))
    else:
        sys.exit(f"unknown command {command}")
