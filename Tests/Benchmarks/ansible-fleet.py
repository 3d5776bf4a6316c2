#!/usr/bin/env python3
"""Benchmark: an idempotent run of the migfw.fleet role on a 5-host fleet against the floor
of Ansible itself, a play that only runs `migfw plan` on the same hosts through
ansible.builtin.command (docs/fleet.md; issue #22's goal: within 2x).

    sudo python3 Tests/Benchmarks/ansible-fleet.py [--migfw .build/debug/migfw] [--runs 3]

Uses fleet_test.py's fleet (network namespaces, local connections, private install roots;
nothing of the machine's own is touched): applies once, then times --runs idempotent runs
of each play, alternating, and prints the medians and their ratio. Writes the figures to
Tests/Benchmarks/results/ansible-fleet.txt.
"""
import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Tests", "Ansible"))  # fleet_test imports collection_support
spec = importlib.util.spec_from_file_location("fleet_test", os.path.join(ROOT, "Tests", "Ansible", "fleet_test.py"))
fleet_test = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fleet_test)

FLOOR_PLAY = """- name: The floor, migfw plan only
  hosts: cluster_a
  gather_facts: false
  tasks:
    - name: Plan
      ansible.builtin.command:
        argv: ["{{ migfw_binary_path }}", plan, -c, "{{ migfw_config_path }}", --netns, "{{ migfw_netns }}",
               --state-dir, "{{ migfw_state_dir }}"]
      register: plan
      changed_when: plan.rc == 2
      failed_when: plan.rc not in [0, 2]
"""


def timed(fleet, playbook, inventory):
    started = time.monotonic()
    rc, _, results = fleet.ansible(playbook, inventory)
    seconds = time.monotonic() - started
    changed = sum(stats.get("changed", 0) for stats in results.stats().values())
    if rc != 0 or changed != 0:
        raise fleet_test.Failed("%s: exit %d, %d changed tasks (not an idempotent run)" % (playbook, rc, changed))
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--migfw", default=os.path.join(ROOT, ".build", "debug", "migfw"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--hosts", type=int, default=5)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("ansible-fleet: run as root (network namespaces)")
    work = tempfile.mkdtemp(prefix="migfw-fleet-bench.")
    open(os.path.join(work, "ansible.cfg"), "w").write("[defaults]\n")
    fleet = fleet_test.Fleet(os.path.abspath(args.migfw), work)
    try:
        fleet.install_collection()
        fleet.build(args.hosts)
        inventory = fleet.inventory(range(1, args.hosts + 1))
        role = fleet.playbook("fleet.yml")
        floor = os.path.join(work, "floor.yml")
        open(floor, "w").write(FLOOR_PLAY)
        rc, _, _ = fleet.ansible(role, inventory)
        if rc != 0:
            raise fleet_test.Failed("the first run failed")
        role_times, floor_times = [], []
        for _ in range(args.runs):
            role_times.append(timed(fleet, role, inventory))
            floor_times.append(timed(fleet, floor, inventory))
        role_median, floor_median = statistics.median(role_times), statistics.median(floor_times)
        lines = [
            "# Tests/Benchmarks/ansible-fleet.py, %s, %d CPUs, ansible-core %s" % (
                time.strftime("%Y-%m-%d"), os.cpu_count(),
                subprocess.run(["ansible", "--version"], capture_output=True, text=True).stdout.split("\n")[0]),
            "# %d hosts (network namespaces, local connections, forks 5, pipelining), %d idempotent runs each" % (args.hosts, args.runs),
            "role migfw.fleet.migfw (install method binary, own profiles, units): median %.1f s  runs %s" % (
                role_median, " ".join("%.1f" % t for t in role_times)),
            "floor (one task: migfw plan via ansible.builtin.command):            median %.1f s  runs %s" % (
                floor_median, " ".join("%.1f" % t for t in floor_times)),
            "ratio role/floor: %.1fx (goal: 2x)" % (role_median / floor_median),
        ]
        text = "\n".join(lines) + "\n"
        print(text, end="")
        with open(os.path.join(ROOT, "Tests", "Benchmarks", "results", "ansible-fleet.txt"), "w") as handle:
            handle.write(text)
    finally:
        fleet.teardown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
