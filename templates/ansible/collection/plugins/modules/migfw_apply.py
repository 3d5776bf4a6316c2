#!/usr/bin/python
# -*- coding: utf-8 -*-
# Part of the migfw.fleet collection: makes the kernel's table inet migfw equal to a policy file.
from __future__ import annotations

DOCUMENTATION = r"""
---
module: migfw_apply
short_description: Apply a migfw policy (table inet migfw), with check mode and diff
description:
  - Runs C(migfw plan --json) against the kernel (optionally inside a network namespace).
    In sync (exit 0) nothing is done; with changes pending (exit 2) the module runs
    C(migfw apply) unless in check mode; any migfw error (exit 1, or 2 from apply) fails
    the host with migfw's own message.
  - C(changed) is true exactly when the kernel's table changed (in check mode, would change).
    After an apply, a second plan must report the kernel in sync, or the host fails.
  - The diff (C(--diff)) lists the set elements added and removed (as CIDRs, ports as
    ranges), chains created, removed or changed, and their rules before and after.
  - With O(confirm_seconds), the apply runs detached as C(migfw apply --confirm N) and the
    module returns once the new ruleset is committed and waits for confirmation; a later task
    with O(state=confirmed), on a new connection, runs C(migfw confirm). Without it in time,
    migfw restores the previous ruleset by itself.
version_added: "1.0.0"
options:
  state:
    description:
      - V(applied) plans and applies; V(confirmed) confirms the waiting C(apply --confirm)
        of this namespace and checks that the kernel then holds the policy.
    type: str
    choices: [applied, confirmed]
    default: applied
  binary:
    description: The migfw executable on the host.
    type: path
    default: /usr/local/sbin/migfw
  config:
    description: The policy file on the host (C(-c)).
    type: path
    default: /etc/migfw/migfw.yaml
  config_display:
    description: The policy path shown in the diff header, when O(config) is a staged copy of it (check mode).
    type: str
  netns:
    description: Network namespace (C(--netns)); omit for the host's own.
    type: str
  state_dir:
    description: migfw's state directory (C(--state-dir)); omit for migfw's default (E(MIGFW_STATE_DIR), else C(/run/migfw)).
    type: path
  lock_file:
    description: migfw's run lock (C(--lock-file)); omit for migfw's default.
    type: path
  lock_timeout:
    description: Seconds to wait for another migfw run to release the lock (C(--lock-timeout)).
    type: float
  profiles_dir:
    description: Hypervisor profiles directory, passed as E(MIGFW_PROFILES_DIR); omit for migfw's search path.
    type: path
  confirm_seconds:
    description:
      - 0 applies directly. N > 0 runs C(migfw apply --confirm N) detached and returns with
        C(confirm_pending=true) once the ruleset is committed.
    type: int
    default: 0
  force:
    description: Pass C(--force) (apply even when the dedicated NIC carries the default route or this SSH session).
    type: bool
    default: false
  diff_max_elements:
    description: At most this many elements per set and direction in the diff; the rest is counted.
    type: int
    default: 100
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
author:
  - migfw authors
"""

EXAMPLES = r"""
- name: Apply the policy
  migfw.fleet.migfw_apply:
    config: /etc/migfw/migfw.yaml

- name: Apply, keep it only if a new connection can confirm it within 60 s
  migfw.fleet.migfw_apply:
    config: /etc/migfw/migfw.yaml
    confirm_seconds: 60
  register: applied

- name: Open a new connection
  ansible.builtin.meta: reset_connection

- name: Confirm from the new connection
  migfw.fleet.migfw_apply:
    state: confirmed
  when: applied.confirm_pending
"""

RETURN = r"""
in_sync:
  description: Whether the kernel held the policy before this task.
  type: bool
  returned: always
plan:
  description: The plan as C(migfw plan --json) printed it (docs/operations.md, "Plan JSON"); null when confirming.
  type: dict
  returned: always
summary:
  description: The plan's counts (C(plan.summary)).
  type: dict
  returned: when a plan was made
confirm_pending:
  description: An C(apply --confirm) is committed and waits for O(state=confirmed).
  type: bool
  returned: always
confirm_log:
  description: Where the detached C(apply --confirm) writes its output.
  type: str
  returned: when O(confirm_seconds) > 0 and changes were applied
stdout:
  description: migfw apply's output.
  type: str
  returned: when applied
"""

import json
import os
import secrets
import stat
import subprocess
import time

from ansible.module_utils.basic import AnsibleModule


def state_directory(params):
    """The state directory migfw itself uses: --state-dir, else $MIGFW_STATE_DIR, else /run/migfw."""
    return params["state_dir"] or os.environ.get("MIGFW_STATE_DIR") or "/run/migfw"


def namespace_name(netns):
    """The name migfw uses in its state files for a namespace (docs/operations.md: confirm-NETNS.pending)."""
    return netns or "default"


class Migfw:
    """Builds and runs migfw command lines with the module's common options."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.environ = {}
        if self.params["profiles_dir"]:
            self.environ["MIGFW_PROFILES_DIR"] = self.params["profiles_dir"]
        # Plain text: migfw colours only terminals, but say so for its messages anyway.
        self.environ["NO_COLOR"] = "1"

    def args(self, command, config=True, lock=False):
        p = self.params
        line = [p["binary"], command]
        if config:
            line += ["-c", p["config"]]
        if p["netns"]:
            line += ["--netns", p["netns"]]
        if p["state_dir"]:
            line += ["--state-dir", p["state_dir"]]
        if lock:
            if p["lock_file"]:
                line += ["--lock-file", p["lock_file"]]
            if p["lock_timeout"] is not None:
                line += ["--lock-timeout", str(p["lock_timeout"])]
        return line

    def run(self, line):
        return self.module.run_command(line, environ_update=self.environ)

    def fail(self, what, rc, out, err, **extra):
        message = (err or "").strip() or (out or "").strip() or "%s exited %d" % (what, rc)
        self.module.fail_json(msg=message, rc=rc, stdout=out, stderr=err, cmd=what, **extra)

    def plan(self):
        """Returns (in_sync, plan, warnings); fails the host on a migfw error."""
        line = self.args("plan") + ["--json"]
        rc, out, err = self.run(line)
        if rc not in (0, 2):
            self.fail(" ".join(line), rc, out, err)
        try:
            plan = json.loads(out)
        except ValueError:
            self.fail(" ".join(line), rc, out, err or "migfw plan --json printed no JSON")
        if plan.get("format_version") != 1:
            self.module.fail_json(msg="unsupported migfw plan format_version %r" % plan.get("format_version"))
        in_sync = rc == 0
        if bool(plan.get("in_sync")) != in_sync:
            self.module.fail_json(msg="migfw plan exited %d but its JSON says in_sync=%r" % (rc, plan.get("in_sync")))
        warnings = [w for w in (err or "").strip().splitlines() if w]
        return in_sync, plan, warnings


def element_text(element):
    if "cidrs" in element:
        return ", ".join(element["cidrs"])
    if element["first"] == element["last"]:
        return element["first"]
    return "%s-%s" % (element["first"], element["last"])


def element_lines(elements, limit):
    lines = ["    " + element_text(e) for e in elements[:limit]]
    if len(elements) > limit:
        lines.append("    ... and %d more elements" % (len(elements) - limit))
    return lines


def set_header(name, kind, flags):
    return "set %s (%s%s)" % (name, kind, ", " + ", ".join(flags) if flags else "")


def chain_header(chain):
    base = chain.get("base")
    if not base:
        return "chain %s" % chain["name"]
    return "chain %s (type %s hook %s priority %s)" % (chain["name"], base["type"], base["hook"], base["priority"])


def render_diff(plan, limit):
    """Before/after texts of what the plan changes: Ansible prints their unified diff.

    Only changed objects appear; an object present on both sides keeps the same header
    line, so the diff shows exactly its removed (-) and added (+) elements and rules."""
    before, after = [], []
    if plan.get("table_missing"):
        before.append("(no table inet migfw)")
    flags = plan.get("table_flags")
    if flags:
        before.append("table flags: %s" % (", ".join(flags["from"]) or "none"))
        after.append("table flags: %s" % (", ".join(flags["to"]) or "none"))
    for s in plan.get("sets", []):
        action = s["action"]
        if action in ("delete", "update", "replace"):
            previous = s.get("previous") or {}
            header = set_header(s["name"], previous.get("type", s["type"]), previous.get("flags", s.get("flags")))
            before += [header if action == "replace" else "set %s" % s["name"]] + element_lines(s["remove"], limit)
        if action in ("create", "update", "replace"):
            header = set_header(s["name"], s["type"], s.get("flags"))
            after += [header if action != "update" else "set %s" % s["name"]] + element_lines(s["add"], limit)
    for c in plan.get("chains", []):
        action = c["action"]
        rules = c.get("rules") or {}
        policy = c.get("policy")
        if action in ("delete", "update", "replace"):
            before.append(chain_header(c) if action != "update" else "chain %s" % c["name"])
            if policy:
                before.append("    policy %s" % policy["from"])
            before += ["    " + r for r in rules.get("before") or []]
        if action in ("create", "update", "replace"):
            after.append(chain_header(c) if action != "update" else "chain %s" % c["name"])
            base = c.get("base")
            if policy:
                after.append("    policy %s" % policy["to"])
            elif action == "create" and base and base.get("policy"):
                after.append("    policy %s" % base["policy"])
            after += ["    " + r for r in rules.get("after") or []]
    text = lambda lines: "".join(line + "\n" for line in lines)
    return text(before), text(after)


def intrusion_warnings(plan):
    warnings = []
    for entry in plan.get("unexpected_addresses", []):
        what = ", ".join(element_text(e) for e in entry.get("addresses", [])[:20])
        if entry.get("catch_all"):
            what = (what + ", " if what else "") + "a catch-all element"
        warnings.append("possible intrusion: set %s holds what the policy does not trust and migfw never applied: %s"
                        % (entry["set"], what))
    return warnings


def wait_until_committed(proc, pending_path, log_path, timeout):
    """Waits for the detached `apply --confirm` to mark its pending file ready (committed,
    waiting). Returns None then, or the exit code if it ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rc = proc.poll()
        if rc is not None:
            return rc
        try:
            fields = read_private(pending_path).split()
            # `PID START STAGE` (an older migfw wrote `PID ready`).
            if len(fields) >= 2 and fields[0] == str(proc.pid) and fields[-1] == "ready":
                return None
        except OSError:
            pass
        time.sleep(0.05)
    proc.terminate()  # apply --confirm restores the previous ruleset on SIGTERM.
    return proc.wait()


def private_state_dir(module, state_dir):
    """Creates the state directory if needed and fails unless it is a directory of this user
    that no one else can write: in one another account could write, a planted symlink would
    have root write a file of that account's choosing."""
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    info = os.lstat(state_dir)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        module.fail_json(msg="state directory %s must be a directory owned by uid %d that no one else can write "
                             "(it is mode %o, owner %d)" % (state_dir, os.geteuid(), stat.S_IMODE(info.st_mode), info.st_uid))


def create_log(state_dir, log_path):
    """A new log file at log_path, open for reading and writing: created under a random name
    with O_EXCL|O_NOFOLLOW, then renamed over log_path (a rename replaces a symlink planted
    there, never the file it points to). Returns the descriptor."""
    temporary = os.path.join(state_dir, ".%s.%s" % (os.path.basename(log_path), secrets.token_hex(8)))
    fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        os.rename(temporary, log_path)
    except OSError:
        os.close(fd)
        os.unlink(temporary)
        raise
    return fd


def read_fd(fd):
    """Everything written to fd so far, from its start."""
    chunks, offset = [], 0
    while True:
        chunk = os.pread(fd, 65536, offset)
        if not chunk:
            return b"".join(chunks).decode("utf-8", "replace")
        chunks.append(chunk)
        offset += len(chunk)


def read_private(path):
    """A file migfw wrote, never through a symlink (raises OSError if it is one or is missing)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        return read_fd(fd)
    finally:
        os.close(fd)


def apply_with_confirmation(module, migfw, result):
    p = module.params
    state_dir = state_directory(p)
    name = namespace_name(p["netns"])
    pending = os.path.join(state_dir, "confirm-%s.pending" % name)
    log_path = os.path.join(state_dir, "confirm-%s.ansible.log" % name)
    private_state_dir(module, state_dir)
    line = migfw.args("apply", lock=True) + ["--confirm", str(p["confirm_seconds"])]
    if p["force"]:
        line.append("--force")
    environ = dict(os.environ, **migfw.environ)
    log = create_log(state_dir, log_path)
    try:
        with open(os.devnull) as devnull:
            # A session of its own, no terminal, no pipe back to Ansible: it outlives this
            # connection and is confirmed (or rolls back) on its own.
            proc = subprocess.Popen(line, stdin=devnull, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, close_fds=True, env=environ)
        timeout = (p["lock_timeout"] if p["lock_timeout"] is not None else 60) + 120
        rc = wait_until_committed(proc, pending, log_path, timeout)
        output = read_fd(log)
    finally:
        os.close(log)
    if rc is not None:
        module.fail_json(msg=output.strip() or "migfw apply --confirm exited %d" % rc, rc=rc,
                         cmd=" ".join(line), confirm_log=log_path)
    result.update(changed=True, confirm_pending=True, confirm_log=log_path, pid=proc.pid,
                  stdout=output, msg="applied; waiting %d s for `migfw confirm`" % p["confirm_seconds"])


def confirm(module, migfw, result):
    p = module.params
    if module.check_mode:
        result["msg"] = "check mode: nothing to confirm"
        return
    state_dir = state_directory(p)
    pending = os.path.join(state_dir, "confirm-%s.pending" % namespace_name(p["netns"]))
    log_path = os.path.join(state_dir, "confirm-%s.ansible.log" % namespace_name(p["netns"]))
    pid = None
    try:
        pid = int(read_private(pending).split()[0])
    except (OSError, ValueError, IndexError):
        pass
    line = migfw.args("confirm", config=False)
    rc, out, err = migfw.run(line)
    if rc != 0:
        try:
            err = (err or "") + "\n" + read_private(log_path)
        except OSError:
            pass
        migfw.fail(" ".join(line), rc, out, err)
    # The waiting apply ends once it sees the confirmation; then the kernel must hold the policy.
    deadline = time.monotonic() + 30
    while pid and time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        except PermissionError:
            pass
        time.sleep(0.05)
    in_sync, plan, warnings = migfw.plan()
    if not in_sync:
        module.fail_json(msg="confirmed, but the kernel does not hold the policy: %s" % plan["summary"], plan=plan)
    result.update(in_sync=True, plan=plan, summary=plan["summary"], stdout=out, msg="confirmed")
    for warning in warnings:
        module.warn(warning)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["applied", "confirmed"], default="applied"),
            binary=dict(type="path", default="/usr/sbin/migfw"),
            config=dict(type="path", default="/etc/migfw/migfw.yaml"),
            config_display=dict(type="str"),
            netns=dict(type="str"),
            state_dir=dict(type="path"),
            lock_file=dict(type="path"),
            lock_timeout=dict(type="float"),
            profiles_dir=dict(type="path"),
            confirm_seconds=dict(type="int", default=0),
            force=dict(type="bool", default=False),
            diff_max_elements=dict(type="int", default=100),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if not os.access(p["binary"], os.X_OK):
        module.fail_json(msg="migfw is not installed at %s (not executable)" % p["binary"])
    if p["confirm_seconds"] < 0:
        module.fail_json(msg="confirm_seconds must be 0 (no confirmation) or a positive number of seconds")
    migfw = Migfw(module)
    result = dict(changed=False, in_sync=True, plan=None, confirm_pending=False)
    if p["state"] == "confirmed":
        confirm(module, migfw, result)
        module.exit_json(**result)

    in_sync, plan, warnings = migfw.plan()
    for warning in warnings + intrusion_warnings(plan):
        module.warn(warning)
    result.update(in_sync=in_sync, plan=plan, summary=plan["summary"])
    if in_sync:
        result["msg"] = "in sync"
        module.exit_json(**result)
    if module._diff:
        before, after = render_diff(plan, max(p["diff_max_elements"], 0))
        where = " in network namespace %s" % p["netns"] if p["netns"] else ""
        result["diff"] = dict(before=before, after=after,
                              before_header="table inet migfw%s (kernel)" % where,
                              after_header="policy %s" % (p["config_display"] or p["config"]))
    result["changed"] = True
    if module.check_mode:
        result["msg"] = "%d changes pending" % plan["summary"]["changes"]
        module.exit_json(**result)

    if p["confirm_seconds"] > 0:
        apply_with_confirmation(module, migfw, result)
        module.exit_json(**result)

    line = migfw.args("apply", lock=True)
    if p["force"]:
        line.append("--force")
    rc, out, err = migfw.run(line)
    if rc != 0:
        migfw.fail(" ".join(line), rc, out, err, plan=plan)
    result["stdout"] = out
    after_sync, after_plan, _ = migfw.plan()
    if not after_sync:
        module.fail_json(msg="migfw apply succeeded but the kernel still differs from the policy: %s"
                         % after_plan["summary"], stdout=out, plan=after_plan)
    result["msg"] = "applied %d changes" % plan["summary"]["changes"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
