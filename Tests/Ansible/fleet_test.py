#!/usr/bin/env python3
"""The Ansible collection migfw.fleet (templates/ansible/collection) driving a simulated fleet, end to end.

    sudo python3 Tests/Ansible/fleet_test.py [--migfw .build/debug/migfw]

Builds a cluster of "hypervisors" as network namespaces (mfwt-fl-<random>-hvN), each with a
veth migration NIC mig0 on one bridged segment (a bridge in its own namespace) and a TCP
listener on libvirt's migration port 49152, plus an outsider on the same segment. Every
inventory host runs through a local connection and passes its own --netns, state directory,
lock file and install root (a temporary directory: the machine's /usr, /etc and systemd are
never touched). The collection is built with templates/ansible/build-collection.sh and the
artifact installed with ansible-galaxy into a private collections path: the test runs what
a user installs, not the source tree. Then, asserting each step:

  1. check mode on the fresh fleet: every host changed with a diff, printed by --diff;
     no namespace has a migfw table and nothing is installed;
  2. a real run applies: every host's trusted set = its peers' migration addresses;
  3. a second run: 0 changed tasks on every host;
  4. a host added to the inventory: check mode and the real run change exactly its peers'
     trusted sets, by one element each (the diff shows it); it then connects to a peer's
     migration port, while the outsider is still refused;
  5. --confirm: applied and confirmed from a separate task after reset_connection; and an
     apply whose confirmation never comes rolls back by itself;
  6. a canary rollout (serial: 1, max_fail_percentage: 0) with one host's policy broken:
     that host fails with migfw's message naming the host and the inventory variable, the
     play stops, later hosts are unchanged.
  Between 5 and 6: the reconcile timer's command line (the installed drop-in's ExecStart,
  run as systemd would) honours the rollback hold that the unconfirmed apply recorded.

Every namespace is deleted on exit, also on failure or a signal. Exit 0 only if every
assertion held; the last line is a summary.
"""
import argparse
import json
import os
import re
import random
import shlex
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import time

from collection_support import Tally, install_collection

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TCP_PY = os.path.join(ROOT, "Tests", "Testbed", "tcp.py")
PORT = 49152  # libvirt's first migration port
SUBNET = "10.77.0."
OUTSIDER = SUBNET + "99"
APPLY_TASK = "Apply the policy (check mode plans only)"
CHECK_TASK = "Check the policy (migfw check)"
FAST_TASK = "See whether this host already is as the role leaves it (one round trip)"
CONFIRM_TASK = "Confirm the new ruleset"


def address(n):
    # Spaced out (.11, .21, ...): adjacent addresses would merge into one interval.
    return SUBNET + str(10 * n + 1)


class Failed(Exception):
    pass


class Fleet(Tally):
    def __init__(self, migfw, work):
        super().__init__()
        self.migfw = migfw
        self.work = work
        suffix = "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(6))
        self.prefix = "mfwt-fl-" + suffix
        self.namespaces = []
        self.collections = os.path.join(work, "collections")

    def install_collection(self):
        """Builds the collection artifact and installs it where ansible-playbook looks."""
        self.collections, artifact = install_collection(self.work)
        installed = os.path.join(self.collections, "ansible_collections", "migfw", "fleet")
        self.require(os.path.isfile(os.path.join(installed, "roles/migfw/files/profiles/libvirt.yaml"))
                     and os.path.isfile(os.path.join(installed, "plugins/modules/migfw_apply.py")),
                     "collection: %s installed with its role, modules, profiles and units" % os.path.basename(artifact))

    # -- the simulated fleet ---------------------------------------------------------------
    def ns(self, name):
        return "%s-%s" % (self.prefix, name)

    def ip(self, *args):
        subprocess.run(["ip"] + list(args), check=True)

    def add_namespace(self, name):
        full = self.ns(name)
        self.ip("netns", "add", full)
        self.namespaces.append(full)
        self.ip("-n", full, "link", "set", "lo", "up")
        return full

    def build(self, hosts):
        seg = self.add_namespace("seg")
        self.ip("-n", seg, "link", "add", "br0", "type", "bridge")
        self.ip("-n", seg, "link", "set", "br0", "up")
        members = [("hv%d" % n, address(n)) for n in range(1, hosts + 1)] + [("out", OUTSIDER)]
        for index, (name, addr) in enumerate(members):
            full = self.add_namespace(name)
            port = "p%d" % index
            self.ip("-n", full, "link", "add", "mig0", "type", "veth", "peer", "name", port, "netns", seg)
            self.ip("-n", seg, "link", "set", port, "master", "br0", "up")
            self.ip("-n", full, "addr", "add", addr + "/24", "dev", "mig0")
            self.ip("-n", full, "link", "set", "mig0", "up")
            if name != "out":
                subprocess.run(["ip", "netns", "exec", full, sys.executable, TCP_PY, "listen", str(PORT)],
                               check=True, stdout=subprocess.DEVNULL)

    def teardown(self):
        for state in self.work_dirs("state"):
            for entry in os.listdir(state) if os.path.isdir(state) else []:
                if entry.startswith("confirm-") and entry.endswith(".pending"):
                    try:
                        pid = int(open(os.path.join(state, entry)).read().split()[0])
                        os.kill(pid, signal.SIGTERM)  # an apply --confirm of ours: it rolls back and exits
                    except (OSError, ValueError, IndexError):
                        pass
        for full in reversed(self.namespaces):
            pids = subprocess.run(["ip", "netns", "pids", full], capture_output=True, text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
            subprocess.run(["ip", "netns", "del", full], stderr=subprocess.DEVNULL)
        self.namespaces = []

    def work_dirs(self, kind):
        return [os.path.join(self.work, name, kind) for name in sorted(os.listdir(self.work))
                if name.startswith("hv")] if os.path.isdir(self.work) else []

    def probe(self, source, target_addr):
        out = subprocess.run(["ip", "netns", "exec", self.ns(source), sys.executable, TCP_PY, "probe", "-t", "1",
                              "%s,%d" % (target_addr, PORT)], capture_output=True, text=True, check=True).stdout
        return out.split()[2]

    def has_table(self, host):
        out = subprocess.run(["ip", "netns", "exec", self.ns(host), "nft", "list", "tables"],
                             capture_output=True, text=True, check=True).stdout
        return "table inet migfw" in out

    def trusted4(self, host):
        """The CIDRs (or ranges) in the host's kernel set trusted4, sorted."""
        out = subprocess.run(["ip", "netns", "exec", self.ns(host), "nft", "-j", "list", "set", "inet", "migfw",
                              "trusted4"], capture_output=True, text=True, check=True).stdout
        elements = []
        for item in json.loads(out)["nftables"]:
            for element in item.get("set", {}).get("elem", []):
                if isinstance(element, str):
                    elements.append(element + "/32")
                elif "prefix" in element:
                    elements.append("%s/%d" % (element["prefix"]["addr"], element["prefix"]["len"]))
                elif "range" in element:
                    elements.append("%s-%s" % tuple(element["range"]))
                else:
                    elements.append(json.dumps(element))
        return sorted(elements)

    def plan_rc(self, host):
        """migfw plan's exit status for the host's installed policy (0 in sync, 2 changes)."""
        root = os.path.join(self.work, host)
        return subprocess.run([self.migfw, "plan", "-c", os.path.join(root, "root/etc/migfw/migfw.yaml"),
                               "--netns", self.ns(host), "--state-dir", os.path.join(root, "state")],
                              env=dict(os.environ, MIGFW_PROFILES_DIR=os.path.join(root, "root/usr/share/migfw/profiles")),
                              capture_output=True, text=True).returncode

    # -- inventory and playbooks -----------------------------------------------------------
    def host_vars(self, n):
        name = "hv%d" % n
        root = os.path.join(self.work, name, "root")
        return {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "migfw_netns": self.ns(name),
            "migfw_interface": "mig0",
            "migfw_migration_address": address(n),
            "migfw_state_dir": os.path.join(self.work, name, "state"),
            "migfw_lock_file": os.path.join(self.work, name, "migfw.lock"),
            "migfw_binary_path": os.path.join(root, "usr/local/sbin/migfw"),
            "migfw_config_path": os.path.join(root, "etc/migfw/migfw.yaml"),
            "migfw_profiles_path": os.path.join(root, "usr/share/migfw/profiles"),
            "migfw_units_path": os.path.join(root, "etc/systemd/system"),
            "migfw_check_stage_dir": os.path.join(self.work, name, "check-stage"),
            "migfw_metrics_file": os.path.join(self.work, name, "migfw.prom"),
        }

    def inventory(self, hosts, host_overrides=None, group_overrides=None):
        group_vars = {"migfw_cluster_group": "cluster_a", "migfw_profile": "libvirt",
                      "migfw_install_method": "binary", "migfw_binary_src": self.migfw,
                      "migfw_install_profiles": True, "migfw_enable_units": False}
        group_vars.update(group_overrides or {})
        host_entries = {}
        for n in hosts:
            entry = self.host_vars(n)
            entry.update((host_overrides or {}).get("hv%d" % n, {}))
            host_entries["hv%d" % n] = entry
            os.makedirs(os.path.join(self.work, "hv%d" % n, "root"), exist_ok=True)
        path = os.path.join(self.work, "inventory.json")
        # JSON is YAML: the YAML inventory plugin reads it.
        with open(path, "w") as handle:
            json.dump({"all": {"children": {"cluster_a": {"hosts": host_entries, "vars": group_vars}}}}, handle, indent=1)
        return path

    def playbook(self, name, serial=None):
        lines = ["- name: Lock live migration down to the cluster", "  hosts: cluster_a", "  gather_facts: false"]
        if serial is not None:
            lines += ["  serial: %d" % serial, "  max_fail_percentage: 0"]
        lines += ["  roles:", "    - migfw.fleet.migfw", ""]
        path = os.path.join(self.work, name)
        with open(path, "w") as handle:
            handle.write("\n".join(lines))
        return path

    def ansible(self, playbook, inventory, check=False, extra=()):
        """Runs ansible-playbook --diff; returns (exit status, printed output, Results)."""
        stamp = "%d" % int(time.time() * 1000)
        log = os.path.join(self.work, "ansible-%s.log" % stamp)
        report_path = os.path.join(self.work, "ansible-%s.json" % stamp)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=self.collections, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                   ANSIBLE_CONFIG=os.path.join(self.work, "ansible.cfg"),
                   ANSIBLE_LOCAL_TEMP=os.path.join(self.work, ".ansible-local"),
                   ANSIBLE_REMOTE_TEMP=os.path.join(self.work, ".ansible-remote"),
                   ANSIBLE_HOME=os.path.join(self.work, ".ansible-home"),
                   ANSIBLE_FORKS="5", ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_PIPELINING="1",
                   ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_CALLBACKS_ENABLED="fleet_json",
                   ANSIBLE_CALLBACK_PLUGINS=os.path.join(ROOT, "Tests", "Ansible", "callback_plugins"),
                   FLEET_JSON_OUT=report_path)
        line = ["ansible-playbook", "-i", inventory, playbook, "--diff"] + (["--check"] if check else []) + list(extra)
        started = time.monotonic()
        run = subprocess.run(line, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - started
        with open(log, "w") as handle:
            handle.write(run.stdout + "\n--- stderr\n" + run.stderr)
        print("    ansible-playbook %s%s: exit %d, %.1f s (log %s)" % (os.path.basename(playbook),
              " --check" if check else "", run.returncode, seconds, log))
        try:
            with open(report_path) as handle:
                report = json.load(handle)
        except (OSError, ValueError):
            raise Failed("ansible-playbook left no report (exit %d): %s" % (run.returncode, run.stderr[-2000:]))
        return run.returncode, run.stdout, Results(report)

    # -- assertions (check: Tally's) -----------------------------------------------------------
    def require(self, condition, what):
        if not self.check(condition, what):
            raise Failed(what)


class Results:
    """A json-callback report, by task name (the role prefix dropped) and host."""

    def __init__(self, report):
        self.report = report
        self.tasks = {}
        for play in report.get("plays", []):
            for task in play.get("tasks", []):
                name = task["task"]["name"].split(" : ", 1)[-1]
                self.tasks.setdefault(name, {}).update(task["hosts"])

    def task(self, name):
        return self.tasks.get(name, {})

    def stats(self):
        return self.report.get("stats", {})


def diff_texts(result):
    diff = result.get("diff") or {}
    if isinstance(diff, list):
        diff = diff[0] if diff else {}
    return diff.get("before", ""), diff.get("after", "")


def example(f):
    """The repository's example inventory and playbook, rendered (no kernel involved)."""
    import yaml
    print("== 0. templates/ansible: site.yml on inventory.example.yml renders valid policies")
    directory = os.path.join(ROOT, "templates", "ansible")
    out = os.path.join(f.work, "example")
    extra = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "ansible_become": False,
             "migfw_apply": False, "migfw_install_method": "none", "migfw_install_profiles": False,
             "migfw_manage_units": False, "migfw_binary_path": f.migfw,
             "migfw_profiles_path": os.path.join(ROOT, "templates", "profiles"),
             "migfw_config_path": out + "/{{ inventory_hostname }}/migfw.yaml",
             "migfw_ports": ["7000-7010", "udp/7100", 49300]}
    rc, printed, results = f.ansible(os.path.join(directory, "site.yml"), os.path.join(directory, "inventory.example.yml"),
                                     extra=["-e", json.dumps(extra)])
    f.require(rc == 0, "example: ansible-playbook exit 0")
    clusters = {"hv-a1": "a", "hv-a2": "a", "hv-a3": "a", "hv-b1": "b", "hv-b2": "b"}
    addresses = {"hv-a1": "10.20.30.11", "hv-a2": "10.20.30.12", "hv-a3": "10.20.30.13",
                 "hv-b1": "10.40.0.21", "hv-b2": "10.40.0.22"}
    for host, cluster in clusters.items():
        path = os.path.join(out, host, "migfw.yaml")
        policy = yaml.safe_load(open(path))
        trusted = sorted(entry["address"] for entry in policy["trusted"]["hosts"])
        expected = sorted(addresses[h] for h, c in clusters.items() if c == cluster and h != host)
        f.check(trusted == expected, "example: %s trusts exactly its cluster's other hosts %s" % (host, trusted))
        f.check(policy["ports"] == ["7000-7010", "udp/7100", 49300], "example: %s's ports rendered as given" % host)
        check = subprocess.run([f.migfw, "check", "-c", path],
                               env=dict(os.environ, MIGFW_PROFILES_DIR=extra["migfw_profiles_path"]),
                               capture_output=True, text=True)
        f.check(check.returncode == 0, "example: migfw check accepts %s's policy%s" % (host, check.stdout[-300:] if check.returncode else ""))
        if cluster == "a":
            f.check(policy["profile"] == "libvirt" and policy["exclude"] == ["10.20.30.1"]
                    and policy["trusted"]["networks"] == ["10.20.99.0/28"]
                    and policy["trusted"]["files"] == [os.path.join(out, host, "trusted.d/*.txt")],
                    "example: %s has cluster_a's profile, exclusion, network and files (made absolute)" % host)
        else:
            f.check(policy["profile"] == "hyperv" and policy["performance"] == "smb"
                    and policy["authentication"] == "kerberos",
                    "example: %s has cluster_b's profile, performance and authentication" % host)


def scenario(f, hosts):
    inventory = f.inventory(range(1, hosts + 1))
    fleet_yml = f.playbook("fleet.yml")
    names = ["hv%d" % n for n in range(1, hosts + 1)]

    def peers(host, members):
        return sorted(address(int(h[2:])) + "/32" for h in members if h != host)

    print("== 1. check mode on a fresh fleet (%d hosts)" % hosts)
    rc, printed, results = f.ansible(fleet_yml, inventory, check=True)
    f.require(rc == 0, "check mode: ansible-playbook exit 0")
    for host in names:
        f.check("before: table inet migfw in network namespace %s (kernel)" % f.ns(host) in printed,
                "check mode: --diff prints the planned table for %s" % host)
    f.check(printed.count("+    %s/32" % address(1)) == hosts - 1,
            "check mode: the printed diff adds hv1's address to each of its %d peers" % (hosts - 1))
    for host in names:
        result = results.task(APPLY_TASK).get(host, {})
        before, after = diff_texts(result)
        f.check(result.get("changed") is True and result["plan"]["table_missing"],
                "check mode: %s reported changed (table missing)" % host)
        f.check(all(("    %s" % p) in after for p in peers(host, names)) and "(no table inet migfw)" in before,
                "check mode: %s's diff adds its %d peers' addresses" % (host, hosts - 1))
        f.check(not f.has_table(host), "check mode: %s has no migfw table" % host)
        root = os.path.join(f.work, host, "root")
        f.check(not os.path.exists(os.path.join(root, "etc/migfw/migfw.yaml"))
                and not os.path.exists(os.path.join(root, "usr/local/sbin/migfw")),
                "check mode: nothing installed under %s's root" % host)
        f.check(not os.path.exists(os.path.join(f.work, host, "check-stage")),
                "check mode: the staged binary of %s was removed" % host)
    f.check(f.probe("out", address(1)) == "open", "before migfw: the outsider reaches hv1:%d" % PORT)

    print("== 2. a real run applies")
    rc, printed, results = f.ansible(fleet_yml, inventory)
    f.require(rc == 0, "apply: ansible-playbook exit 0")
    for host in names:
        result = results.task(APPLY_TASK).get(host, {})
        f.check(result.get("changed") is True, "apply: %s changed" % host)
        f.check(f.trusted4(host) == peers(host, names),
                "apply: %s's kernel trusts exactly its peers %s" % (host, f.trusted4(host)))
        f.check(f.plan_rc(host) == 0, "apply: migfw plan says %s is in sync" % host)
        root = os.path.join(f.work, host, "root")
        f.check(all(os.path.exists(os.path.join(root, p)) for p in
                    ["usr/local/sbin/migfw", "usr/share/migfw/profiles/libvirt.yaml",
                     "etc/systemd/system/migfw.service", "etc/systemd/system/migfw-reconcile.timer"]),
                "apply: binary, profiles and units installed under %s's root" % host)
        dropin = open(os.path.join(root, "etc/systemd/system/migfw.service.d/migfw-ansible.conf")).read()
        settings = " --netns %s --state-dir %s --lock-file %s" % (f.ns(host), os.path.join(f.work, host, "state"),
                                                                 os.path.join(f.work, host, "migfw.lock"))
        f.check("\nExecStart=\nExecStart=%s apply --allow-missing-interface -c %s%s\n" % (
                    os.path.join(root, "usr/local/sbin/migfw"), os.path.join(root, "etc/migfw/migfw.yaml"), settings) in dropin,
                "apply: %s's migfw.service drop-in runs the installed binary on the installed policy with the role's "
                "namespace, state directory and lock file" % host)
        f.check("\nEnvironment=MIGFW_PROFILES_DIR=%s\n" % os.path.join(root, "usr/share/migfw/profiles") in dropin,
                "apply: %s's migfw.service finds the profiles installed outside migfw's search path" % host)
        reconcile = open(os.path.join(root, "etc/systemd/system/migfw-reconcile.service.d/migfw-ansible.conf")).read()
        f.check(re.search(r"^ExecStart=%s reconcile -c %s --metrics-file \S+%s$" % (
                    re.escape(os.path.join(root, "usr/local/sbin/migfw")), re.escape(os.path.join(root, "etc/migfw/migfw.yaml")),
                    re.escape(settings)), reconcile, re.M) is not None,
                "apply: %s's reconcile timer runs with the same settings as Ansible" % host)
    f.check(f.probe("hv2", address(1)) == "open", "apply: peer hv2 connects to hv1:%d" % PORT)
    f.check(f.probe("out", address(1)) == "timeout", "apply: the outsider is dropped at hv1:%d" % PORT)

    print("== 3. a second run changes nothing")
    rc, printed, results = f.ansible(fleet_yml, inventory)
    f.require(rc == 0, "second run: exit 0")
    for host in names:
        stats = results.stats().get(host, {})
        f.check(stats.get("changed") == 0 and stats.get("failures") == 0,
                "second run: %s has 0 changed tasks (%s)" % (host, stats))
        fast = results.task(FAST_TASK).get(host, {})
        f.check(fast.get("fast") is True and fast.get("reasons") == [],
                "second run: %s took the fast path: one round trip found files, units and kernel as wanted (%s)"
                % (host, fast.get("reasons")))
        f.check(results.task(APPLY_TASK).get(host, {}).get("_status") in (None, "skipped"),
                "second run: %s skipped the full path" % host)

    # A policy file someone made world-writable is not "as the role leaves it": the fast
    # path must not take it, and the full path puts the mode back.
    policy_hv1 = os.path.join(f.work, "hv1", "root/etc/migfw/migfw.yaml")
    os.chmod(policy_hv1, 0o666)
    rc, printed, results = f.ansible(fleet_yml, inventory)
    fast = results.task(FAST_TASK).get("hv1", {})
    f.check(rc == 0 and fast.get("fast") is False and any("mode" in r for r in fast.get("reasons", [])),
            "fast path: a world-writable policy file is a difference (%s)" % fast.get("reasons"))
    f.check(oct(os.stat(policy_hv1).st_mode & 0o777) == "0o600", "full path: the policy file is 0600 again")

    new = hosts + 1
    new_name = "hv%d" % new
    all_names = names + [new_name]
    print("== 4. %s joins the inventory" % new_name)
    f.check(f.probe(new_name, address(1)) == "timeout", "before: %s (not yet in the inventory) is dropped at hv1" % new_name)
    inventory = f.inventory(range(1, new + 1))
    for check in (True, False):
        mode = "check mode" if check else "apply"
        rc, printed, results = f.ansible(fleet_yml, inventory, check=check)
        f.require(rc == 0, "%s with %s: exit 0" % (mode, new_name))
        for host in names:
            result = results.task(APPLY_TASK).get(host, {})
            plan = result.get("plan") or {}
            sets = plan.get("sets", [])
            before, after = diff_texts(result)
            f.check(result.get("changed") is True and plan.get("summary", {}).get("changes") == 1
                    and plan["summary"].get("elements_to_add") == 1 and not plan.get("chains")
                    and len(sets) == 1 and sets[0]["name"] == "trusted4" and sets[0]["action"] == "update"
                    and [e["cidrs"] for e in sets[0]["add"]] == [[address(new) + "/32"]] and sets[0]["remove"] == [],
                    "%s: %s changes by exactly one element, +%s/32" % (mode, host, address(new)))
            f.check(after == "set trusted4\n    %s/32\n" % address(new) and before == "set trusted4\n",
                    "%s: %s's diff is exactly that element" % (mode, host))
        result = results.task(APPLY_TASK).get(new_name, {})
        f.check(result.get("changed") is True, "%s: the new host %s changed" % (mode, new_name))
        f.check(printed.count("\n+    %s/32\n" % address(new)) == hosts,
                "%s: --diff prints +%s/32 once for each of the %d peers" % (mode, address(new), hosts))
        f.check(printed.count('+    - { name: "%s", address: "%s" }' % (new_name, address(new))) == hosts,
                "%s: --diff prints the new trusted.hosts entry in each peer's policy file" % mode)
    for host in names:
        f.check(f.trusted4(host) == peers(host, all_names), "after: %s trusts %s" % (host, f.trusted4(host)))
        f.check(f.probe(new_name, address(int(host[2:]))) == "open",
                "after: %s connects to %s:%d" % (new_name, host, PORT))
        f.check(f.probe("out", address(int(host[2:]))) == "timeout",
                "after: the outsider %s is still dropped at %s:%d" % (OUTSIDER, host, PORT))
    f.check(f.trusted4(new_name) == peers(new_name, all_names), "after: %s trusts its %d peers" % (new_name, hosts))

    print("== 5. --confirm: confirmed from a new connection; unconfirmed rolls back")
    net_a = {"migfw_trusted_networks": ["10.88.0.0/24"], "migfw_confirm_seconds": 30}
    inventory = f.inventory(range(1, new + 1), group_overrides=net_a)
    rc, printed, results = f.ansible(fleet_yml, inventory)
    f.require(rc == 0, "confirm: exit 0")
    for host in all_names:
        applied = results.task(APPLY_TASK).get(host, {})
        confirmed = results.task(CONFIRM_TASK).get(host, {})
        f.check(applied.get("changed") is True and applied.get("confirm_pending") is True,
                "confirm: %s applied with --confirm and left it waiting" % host)
        f.check(confirmed.get("msg") == "confirmed" and confirmed.get("in_sync") is True,
                "confirm: %s confirmed by the separate task; the kernel holds the policy" % host)
        f.check("10.88.0.0/24" in f.trusted4(host), "confirm: %s keeps 10.88.0.0/24" % host)
        state = os.path.join(f.work, host, "state")
        f.check(not os.path.exists(os.path.join(state, "confirm-%s.pending" % f.ns(host))),
                "confirm: %s's apply --confirm has finished (no pending file)" % host)
    net_b = {"migfw_trusted_networks": ["10.88.0.0/24", "10.89.0.0/24"], "migfw_confirm_seconds": 3}
    inventory = f.inventory(range(1, new + 1), group_overrides=net_b)
    rc, printed, results = f.ansible(fleet_yml, inventory, extra=["--limit", "hv1", "--skip-tags", "migfw_confirm"])
    applied = results.task(APPLY_TASK).get("hv1", {})
    f.check(rc == 0 and applied.get("confirm_pending") is True and "10.89.0.0/24" in f.trusted4("hv1"),
            "no confirmation: hv1 committed 10.89.0.0/24 and waits")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and "10.89.0.0/24" in f.trusted4("hv1"):
        time.sleep(0.5)
    f.check("10.89.0.0/24" not in f.trusted4("hv1") and "10.88.0.0/24" in f.trusted4("hv1"),
            "no confirmation: hv1 rolled back by itself to the previous ruleset")
    f.check(f.plan_rc("hv1") == 2, "no confirmation: migfw plan shows the refused change pending again")
    # The reconcile timer runs the drop-in's command line: it must see the hold Ansible's
    # unconfirmed apply recorded (same state directory), and change nothing.
    dropin = open(os.path.join(f.work, "hv1", "root/etc/systemd/system/migfw-reconcile.service.d/migfw-ansible.conf")).read()
    command = [line[len("ExecStart="):] for line in dropin.splitlines() if line.startswith("ExecStart=") and len(line) > 10][-1]
    environment = dict(os.environ, MIGFW_LOG="stderr")
    environment.update(line[len("Environment="):].split("=", 1) for line in dropin.splitlines() if line.startswith("Environment="))
    timer = subprocess.run(shlex.split(command), env=environment, capture_output=True, text=True)
    f.check(timer.returncode == 1 and "rolled back a policy" in timer.stderr and "10.89.0.0/24" not in f.trusted4("hv1"),
            "no confirmation: the timer's reconcile (the drop-in's ExecStart) holds: exit %d, %s"
            % (timer.returncode, (timer.stderr.strip().splitlines() or [""])[-1][:160]))

    print("== 6. canary rollout (serial: 1, max_fail_percentage: 0), hv2's policy broken")
    before = {host: f.trusted4(host) for host in all_names}
    policy_hv2 = open(os.path.join(f.work, "hv2", "root/etc/migfw/migfw.yaml")).read()
    nets = {"migfw_trusted_networks": ["10.88.0.0/24", "10.90.0.0/24"]}
    broken = {"hv2": {"migfw_trusted_networks": ["10.88.0.0/24", "10.90.0.1/24"]}}  # host bits set
    inventory = f.inventory(range(1, new + 1), host_overrides=broken, group_overrides=nets)
    rc, printed, results = f.ansible(f.playbook("canary.yml", serial=1), inventory)
    f.check(rc != 0, "canary: ansible-playbook failed (exit %d)" % rc)
    f.check("10.90.0.0/24" in f.trusted4("hv1"), "canary: hv1 (first batch) applied 10.90.0.0/24")
    failed = [(name, r) for name, hosts_ in results.tasks.items() for h, r in hosts_.items()
              if h == "hv2" and r.get("_status") == "failed"]
    message = failed[0][1].get("msg") or "" if failed else ""
    f.check(len(failed) == 1 and failed[0][0] == CHECK_TASK and message.startswith("hv2: ")
            and "%s:" % os.path.join(f.work, "hv2", "root/etc/migfw/migfw.yaml") in message
            and "10.90.0.1/24" in message and "(this line comes from migfw_trusted_networks[1])" in message,
            "canary: hv2 failed at the check; msg names the host, the policy's path and line, and the variable: %s"
            % message[:300])
    f.check(f.trusted4("hv2") == before["hv2"], "canary: hv2's kernel is unchanged")
    f.check(open(os.path.join(f.work, "hv2", "root/etc/migfw/migfw.yaml")).read() == policy_hv2,
            "canary: hv2's installed policy file is unchanged")
    for host in all_names[2:]:
        f.check(host not in results.stats() or results.stats()[host].get("changed", 0) == 0,
                "canary: the play stopped before %s" % host)
        f.check(f.trusted4(host) == before[host], "canary: %s's kernel is unchanged" % host)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--migfw", default=os.path.join(ROOT, ".build", "debug", "migfw"))
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs) also on success")
    parser.add_argument("--hosts", type=int, default=4, help="hypervisors before one joins (3-5 in all is the brief)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("fleet_test: run as root (network namespaces)")
    migfw = os.path.abspath(args.migfw)
    if not os.access(migfw, os.X_OK):
        sys.exit("fleet_test: no migfw at %s (swift build first)" % migfw)
    if not shutil.which("ansible-playbook") or not shutil.which("ansible-galaxy"):
        sys.exit("fleet_test: ansible-playbook is not installed (pip install ansible-core)")
    work = tempfile.mkdtemp(prefix="migfw-fleet.")
    open(os.path.join(work, "ansible.cfg"), "w").write("[defaults]\n")
    fleet = Fleet(migfw, work)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    aborted = None
    try:
        fleet.install_collection()
        example(fleet)
        fleet.build(args.hosts + 1)
        scenario(fleet, args.hosts)
    except Failed as error:
        aborted = str(error)
    except KeyboardInterrupt:
        aborted = "interrupted"
    finally:
        fleet.teardown()
        leftover = [n for n in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
                    if n.startswith(fleet.prefix)]
        if leftover:
            fleet.failures.append("namespaces left behind: %s" % leftover)
        if not fleet.failures and aborted is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if aborted:
        print("aborted: " + aborted)
    if fleet.failures or aborted:
        print("fleet test (Ansible role): FAILED: %d passed, %d failed (logs kept in %s)"
              % (fleet.passed, len(fleet.failures), work))
        for failure in fleet.failures:
            print("  - " + failure)
        sys.exit(1)
    print("fleet test (Ansible role): ok, %d assertions passed, %d hosts, namespaces removed"
          % (fleet.passed, args.hosts + 1))


if __name__ == "__main__":
    main()
