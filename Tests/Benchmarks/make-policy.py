#!/usr/bin/env python3
"""Writes a libvirt policy whose trusted set is COUNT random, pairwise non-adjacent prefixes
(IPv4 /24s or IPv6 /64s, seeded), so it aggregates to exactly COUNT intervals.

usage: make-policy.py ipv4|ipv6 COUNT DIRECTORY  -> DIRECTORY/policy.yaml, DIRECTORY/trusted.txt
"""
import ipaddress
import os
import random
import sys

family, count, directory = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(directory, exist_ok=True)
rng = random.Random(20261129 + count)
with open(os.path.join(directory, "trusted.txt"), "w") as out:
    if family == "ipv4":
        # Even /24 numbers only: no two chosen /24s are adjacent, so none merge.
        for n in sorted(rng.sample(range(0, 1 << 23), count)):
            out.write(f"{ipaddress.IPv4Address((2 * n) << 8)}/24\n")
    else:
        base = int(ipaddress.IPv6Address("2001:db8::"))
        for n in sorted(rng.sample(range(0, 1 << 31), count)):
            out.write(f"{ipaddress.IPv6Address(base + ((2 * n) << 64))}/64\n")
with open(os.path.join(directory, "policy.yaml"), "w") as out:
    out.write("""version: 1
interface: mig0
profile: libvirt
dedicated: true
allow_broad: true
trusted:
  files: [trusted.txt]
""")
