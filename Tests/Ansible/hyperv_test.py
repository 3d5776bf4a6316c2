#!/usr/bin/env python3
"""The Hyper-V play (templates/ansible/hyperv.yml, role migfw.fleet.migfw, entry point hyperv) without Windows:

  python3 Tests/Ansible/hyperv_test.py [--migfw .build/debug/migfw]

1. `ansible-playbook --syntax-check` with the installed collection and ansible.windows (taken
   from the `ansible` package on PyPI: Galaxy is not reachable from here);
2. ansible-lint (production profile) on the play;
3. the rendered tasks: the controller-side part (`--tags migfw_render`) on the example
   inventory's Windows hosts renders each host's policy and PowerShell script with migfw;
   each script parses with a real PowerShell grammar (Tests/PowerShell/psast.py) and trusts
   its peer; the play lists the -Check task and the apply task gated on exit code 2.

Without ansible.windows (no network) the test is skipped, loudly; with
MIGFW_REQUIRE_KERNEL_TESTS=1 (CI) that is a failure. Exit 0 only if every check held.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

from collection_support import Tally, install_collection

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANSIBLE_DIR = os.path.join(ROOT, "templates", "ansible")
BUILD = os.path.join(ROOT, ".build", "ansible")
WINDOWS = os.path.join(BUILD, "windows-collections")
# The community package that bundles ansible.windows; pinned so CI gets the same collection.
ANSIBLE_PACKAGE = "ansible==12.3.0"


def windows_collection():
    """A collections path holding ansible.windows, or None when it cannot be had here."""
    if os.path.isfile(os.path.join(WINDOWS, "ansible_collections/ansible/windows/MANIFEST.json")):
        return WINDOWS
    wheels = os.path.join(BUILD, "wheels")
    os.makedirs(wheels, exist_ok=True)
    found = glob.glob(os.path.join(wheels, "ansible-*.whl"))
    if not found:
        download = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", wheels,
                                   ANSIBLE_PACKAGE], capture_output=True, text=True)
        found = glob.glob(os.path.join(wheels, "ansible-*.whl"))
        if download.returncode != 0 or not found:
            return None
    with zipfile.ZipFile(found[0]) as wheel:
        for name in wheel.namelist():
            if name.startswith("ansible_collections/ansible/windows/"):
                wheel.extract(name, WINDOWS)
    return WINDOWS


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--migfw", default=os.path.join(ROOT, ".build", "debug", "migfw"))
    args = parser.parse_args()
    windows = windows_collection()
    if windows is None:
        print("WARNING: hyperv test SKIPPED: ansible.windows could not be fetched (pip download %s)" % ANSIBLE_PACKAGE)
        sys.exit(1 if os.environ.get("MIGFW_REQUIRE_KERNEL_TESTS") == "1" else 0)
    work = tempfile.mkdtemp(prefix="migfw-hyperv.")
    tally = Tally()
    check = tally.check

    try:
        collections, _ = install_collection(work)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections + ":" + windows, ANSIBLE_NOCOLOR="1",
                   ANSIBLE_HOME=os.path.join(work, ".ansible-home"), ANSIBLE_LOCAL_TEMP=os.path.join(work, ".tmp"))
        inventory = os.path.join(ANSIBLE_DIR, "inventory.example.yml")
        play = os.path.join(ANSIBLE_DIR, "hyperv.yml")

        syntax = subprocess.run(["ansible-playbook", "-i", inventory, play, "--syntax-check"], env=env,
                                capture_output=True, text=True, cwd=ANSIBLE_DIR)
        check(syntax.returncode == 0, "syntax-check: hyperv.yml resolves migfw.fleet.migfw (hyperv) and ansible.windows%s"
              % ("" if syntax.returncode == 0 else ": " + syntax.stderr[-400:]))

        lint = subprocess.run(["ansible-lint", "--offline", "--profile", "production", "hyperv.yml"], env=env,
                              capture_output=True, text=True, cwd=ANSIBLE_DIR)
        check(lint.returncode == 0, "ansible-lint (production) passes hyperv.yml%s"
              % ("" if lint.returncode == 0 else ": " + (lint.stdout + lint.stderr)[-600:]))

        tasks = subprocess.run(["ansible-playbook", "-i", inventory, play, "--list-tasks"], env=env,
                               capture_output=True, text=True, cwd=ANSIBLE_DIR).stdout
        check("Compare the host with the policy (-Check; 2 = changes pending)" in tasks
              and "Apply the policy (only when -Check found changes)" in tasks,
              "the play checks with -Check and applies only on exit code 2")

        out = os.path.join(work, "render")
        render = subprocess.run(["ansible-playbook", "-i", inventory, play, "--tags", "migfw_render",
                                 "-e", "migfw_controller_binary=%s" % os.path.abspath(args.migfw),
                                 "-e", "migfw_render_dir=%s" % out, "-e", "ansible_python_interpreter=%s" % sys.executable],
                                env=env, capture_output=True, text=True, cwd=ANSIBLE_DIR)
        check(render.returncode == 0, "rendered tasks: the controller part runs for every Windows host%s"
              % ("" if render.returncode == 0 else ": " + render.stdout[-800:]))
        peers = {"hv-w1": "10.60.0.12", "hv-w2": "10.60.0.11"}
        for host, peer in peers.items():
            script = os.path.join(out, host + ".ps1")
            if not os.path.isfile(script):
                check(False, "rendered tasks: %s's script exists" % host)
                continue
            parsed = subprocess.run([sys.executable, os.path.join(ROOT, "Tests", "PowerShell", "psast.py"), "check", script],
                                    capture_output=True, text=True)
            check(parsed.returncode == 0, "rendered tasks: %s's script parses as PowerShell (%s)" % (host, parsed.stdout.strip()))
            text = open(script, encoding="utf-8").read()
            check(peer in text and "param([switch]$Check)" in text,
                  "rendered tasks: %s's script trusts its peer %s and takes -Check" % (host, peer))
    finally:
        if not tally.failures:
            shutil.rmtree(work, ignore_errors=True)
    if tally.failures:
        print("hyperv test (Ansible): FAILED: %d passed, %d failed (work kept in %s)" % (tally.passed, len(tally.failures), work))
        sys.exit(1)
    print("hyperv test (Ansible): ok, %d checks passed" % tally.passed)


if __name__ == "__main__":
    main()
