#!/usr/bin/env python3
"""The migfw.fleet role's default install method, the Debian package, on this machine:

    sudo python3 Tests/Ansible/deb_install_test.py DEB [--keep]

Run by Tests/run.sh after Tests/package.sh (as root, on a machine where migfw's package is
not installed: CI's). One inventory host on a local connection; the policy is applied in a
throwaway network namespace (the machine's own firewall is never touched); the package is
installed into the real system, as a user's hosts get it, and purged again at the end with
every file the role wrote. Asserts:

  1. check mode: exit 0, the plan reports changes, the package is NOT installed, no table,
     no staged binary left;
  2. the real run: the package is installed (dpkg), its binary applied the policy in the
     namespace (the peer trusted), the units' drop-ins carry the role's settings;
  3. a second run changes nothing (the package is not reinstalled: same version).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from collection_support import Tally, install_collection

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APPLY_TASK = "Apply the policy (check mode plans only)"


def sh(*args, **kwargs):
    return subprocess.run(list(args), capture_output=True, text=True, **kwargs)


def installed():
    return "install ok installed" in sh("dpkg-query", "-W", "-f=${Status}", "migfw").stdout


def main():
    if os.geteuid() != 0:
        sys.exit("deb_install_test: run as root")
    deb = os.path.abspath(sys.argv[1])
    if installed():
        sys.exit("deb_install_test: migfw's package is installed on this machine already; this test needs one without it")
    work = tempfile.mkdtemp(prefix="migfw-deb-ansible.")
    os.chmod(work, 0o700)
    ns = "mfwt-deb-%d" % os.getpid()
    tally = Tally()
    check = tally.check

    try:
        subprocess.run(["ip", "netns", "add", ns], check=True)
        subprocess.run(["ip", "-n", ns, "link", "add", "mig0", "type", "veth", "peer", "name", "mig0p"], check=True)
        subprocess.run(["ip", "-n", ns, "addr", "add", "10.66.0.11/24", "dev", "mig0"], check=True)
        collections, _ = install_collection(work)
        host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                "migfw_interface": "mig0", "migfw_migration_address": "10.66.0.11",
                "migfw_netns": ns, "migfw_state_dir": os.path.join(work, "state"),
                "migfw_lock_file": os.path.join(work, "migfw.lock"),
                "migfw_config_path": os.path.join(work, "etc", "migfw.yaml"),
                "migfw_metrics_file": os.path.join(work, "migfw.prom"),
                "migfw_check_stage_dir": os.path.join(work, "check-stage"), "migfw_enable_units": False}
        inventory = {"all": {"children": {"cluster": {
            "vars": {"migfw_cluster_group": "cluster", "migfw_profile": "libvirt", "migfw_deb_src": deb},
            "hosts": {"hv1": host, "hv2": {"migfw_interface": "mig0", "migfw_migration_address": "10.66.0.12"}}}}}}
        with open(os.path.join(work, "inventory.json"), "w") as handle:
            json.dump(inventory, handle)
        with open(os.path.join(work, "play.yml"), "w") as handle:
            handle.write("- name: Install and apply\n  hosts: hv1\n  gather_facts: false\n  roles: [migfw.fleet.migfw]\n")
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR="1",
                   ANSIBLE_HOME=os.path.join(work, ".ansible"), ANSIBLE_LOCAL_TEMP=os.path.join(work, ".tmp"),
                   ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_CALLBACKS_ENABLED="fleet_json",
                   ANSIBLE_CALLBACK_PLUGINS=os.path.join(ROOT, "Tests", "Ansible", "callback_plugins"))

        def play(check_mode=False):
            line = ["ansible-playbook", "-i", os.path.join(work, "inventory.json"), os.path.join(work, "play.yml")]
            stamp = int(time.time() * 1000)
            out = os.path.join(work, "ansible-%d.json" % stamp)
            run = sh(*(line + (["--check"] if check_mode else [])), env=dict(env, FLEET_JSON_OUT=out))
            with open(os.path.join(work, "ansible-%d.log" % stamp), "w") as log:
                log.write(run.stdout + run.stderr)
            try:
                report = json.load(open(out))
            except (OSError, ValueError):
                return run.returncode, {}, {}
            tasks = {t["task"]["name"].split(" : ", 1)[-1]: t["hosts"].get("hv1", {})
                     for p in report.get("plays", []) for t in p.get("tasks", [])}
            return run.returncode, tasks, report.get("stats", {}).get("hv1", {})

        print("== 1. check mode on a host without migfw")
        rc, tasks, stats = play(check_mode=True)
        check(rc == 0, "check mode: exit 0 (%d)" % rc)
        check(tasks.get(APPLY_TASK, {}).get("changed") is True, "check mode: the plan (with the package's binary, staged) reports changes")
        check(not installed(), "check mode: the package is not installed")
        check("migfw" not in sh("ip", "netns", "exec", ns, "nft", "list", "tables").stdout, "check mode: no table in the namespace")
        check(not os.path.exists(host["migfw_check_stage_dir"]), "check mode: the staged binary was removed")

        print("== 2. the real run installs the package and applies")
        rc, tasks, stats = play()
        check(rc == 0, "apply: exit 0 (%d)" % rc)
        check(installed() and os.access("/usr/sbin/migfw", os.X_OK), "apply: the package is installed (/usr/sbin/migfw)")
        ruleset = sh("ip", "netns", "exec", ns, "nft", "list", "set", "inet", "migfw", "trusted4").stdout
        check("10.66.0.12" in ruleset, "apply: the namespace's table trusts the peer 10.66.0.12")
        dropin = "/etc/systemd/system/migfw-reconcile.service.d/migfw-ansible.conf"
        text = open(dropin).read() if os.path.exists(dropin) else ""
        check("ExecStart=/usr/sbin/migfw reconcile -c %s --metrics-file %s --netns %s --state-dir %s --lock-file %s\n"
              % (host["migfw_config_path"], host["migfw_metrics_file"], ns, host["migfw_state_dir"], host["migfw_lock_file"]) in text,
              "apply: the reconcile timer's drop-in runs the package's binary with the role's settings")

        print("== 3. a second run changes nothing")
        rc, tasks, stats = play()
        check(rc == 0 and stats.get("changed") == 0, "second run: 0 changed tasks (%s)" % stats)
    finally:
        subprocess.run(["dpkg", "--purge", "migfw"], capture_output=True)
        for unit in ["migfw.service", "migfw-reconcile.service"]:
            shutil.rmtree("/etc/systemd/system/%s.d" % unit, ignore_errors=True)
        shutil.rmtree("/var/cache/migfw", ignore_errors=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        if not tally.failures and "--keep" not in sys.argv:
            shutil.rmtree(work, ignore_errors=True)
    check(not installed(), "cleanup: the package is purged")
    if tally.failures:
        print("deb install test (Ansible): FAILED: %d passed, %d failed (logs in %s)" % (tally.passed, len(tally.failures), work))
        sys.exit(1)
    print("deb install test (Ansible): ok, %d assertions passed" % tally.passed)


if __name__ == "__main__":
    main()
