#!/usr/bin/python
# -*- coding: utf-8 -*-
# Part of the migfw.fleet collection: the role's fast path, one round trip per host.
from __future__ import annotations

DOCUMENTATION = r"""
---
module: migfw_state
short_description: Tell whether a host already is as the migfw role would leave it
description:
  - Compares, on the host, everything the role manages with what it would write (the policy
    file's text, the units' drop-ins, files the controller has by their SHA-1s, computed by the
    action plugin of the same name from O(local_files) and O(local_dirs), the installed
    package's version, enabled units), then runs C(migfw plan) and asks the kernel.
  - Changes nothing. C(fast) is true only when everything matches and the kernel holds the
    policy; the role then skips its other tasks. Anything unusual (a missing file, an error)
    only makes C(fast) false, with the reason in C(reasons).
version_added: "1.0.0"
options:
  binary:
    description: The installed migfw.
    type: path
    required: true
  config:
    description: The installed policy file.
    type: path
    required: true
  policy:
    description: The policy text the role would install.
    type: str
    required: true
  files:
    description: More files the role would write, path to text (the units' drop-ins).
    type: dict
    default: {}
  checksums:
    description: Files the role would copy, path to SHA-1 (set by the action plugin).
    type: dict
    default: {}
  modes:
    description: Path to the mode (C("0600")) the role gives it; the file must be a regular file of this user with that mode.
    type: dict
    default: {}
  local_files:
    description: Host path to controller path, for the action plugin (read on the controller only)
    type: dict
    default: {}
  local_dirs:
    description: Host directory to controller directory, every regular file in it (action plugin only).
    type: dict
    default: {}
  package:
    description: The Debian package that must be installed, C(name) and optionally C(version).
    type: dict
  enabled_units:
    description: systemd units that must be enabled.
    type: list
    elements: str
    default: []
  active_units:
    description: systemd units that must be active (running).
    type: list
    elements: str
    default: []
  netns:
    description: Network namespace (C(--netns)).
    type: str
  state_dir:
    description: migfw's state directory (C(--state-dir)).
    type: path
  profiles_dir:
    description: Passed as E(MIGFW_PROFILES_DIR).
    type: path
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
author:
  - migfw authors
"""

EXAMPLES = r"""
- name: See whether this host is already as the role leaves it
  migfw.fleet.migfw_state:
    binary: /usr/sbin/migfw
    config: /etc/migfw/migfw.yaml
    policy: "{{ lookup('ansible.builtin.template', 'migfw.yaml.j2') }}"
  register: state
"""

RETURN = r"""
fast:
  description: Everything matches and the kernel holds the policy.
  type: bool
  returned: always
reasons:
  description: What differs (empty when C(fast)).
  type: list
  elements: str
  returned: always
"""

import hashlib
import os
import stat

from ansible.module_utils.basic import AnsibleModule


def read_text(path):
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return None


def sha1(path):
    digest = hashlib.sha1()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def differences(module):
    p = module.params
    reasons = []
    if read_text(p["config"]) != p["policy"]:
        reasons.append("policy " + p["config"])
    for path, text in sorted(p["files"].items()):
        if read_text(path) != text:
            reasons.append("file " + path)
    for path, expected in sorted(p["checksums"].items()):
        if sha1(path) != expected:
            reasons.append("file " + path)
    for path, mode in sorted(p["modes"].items()):
        try:
            info = os.lstat(path)
        except OSError:
            reasons.append("file " + path)
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or stat.S_IMODE(info.st_mode) != int(str(mode), 8):
            reasons.append("owner, type or mode of " + path)
    package = p["package"]
    if package:
        rc, out, _ = module.run_command(["dpkg-query", "--showformat=${Status} ${Version}", "--show", package["name"]])
        fields = out.split()
        if rc != 0 or "installed" not in fields[:3] or (package.get("version") and fields[-1:] != [package["version"]]):
            reasons.append("package " + package["name"])
    for unit in p["enabled_units"]:
        rc, out, _ = module.run_command(["systemctl", "is-enabled", unit])
        if rc != 0 or out.strip() != "enabled":
            reasons.append("unit %s not enabled" % unit)
    for unit in p["active_units"]:
        rc, out, _ = module.run_command(["systemctl", "is-active", unit])
        if rc != 0 or out.strip() != "active":
            reasons.append("unit %s not active" % unit)
    if reasons:
        return reasons
    line = [p["binary"], "plan", "-c", p["config"]]
    if p["netns"]:
        line += ["--netns", p["netns"]]
    if p["state_dir"]:
        line += ["--state-dir", p["state_dir"]]
    environ = {"NO_COLOR": "1"}
    if p["profiles_dir"]:
        environ["MIGFW_PROFILES_DIR"] = p["profiles_dir"]
    if not os.access(p["binary"], os.X_OK):
        return ["binary " + p["binary"]]
    rc, _, _ = module.run_command(line, environ_update=environ)
    if rc != 0:
        reasons.append("kernel (migfw plan exit %d)" % rc)
    return reasons


def main():
    module = AnsibleModule(
        argument_spec=dict(
            binary=dict(type="path", required=True),
            config=dict(type="path", required=True),
            policy=dict(type="str", required=True),
            files=dict(type="dict", default={}),
            checksums=dict(type="dict", default={}),
            modes=dict(type="dict", default={}),
            local_files=dict(type="dict", default={}),
            local_dirs=dict(type="dict", default={}),
            package=dict(type="dict"),
            enabled_units=dict(type="list", elements="str", default=[]),
            active_units=dict(type="list", elements="str", default=[]),
            netns=dict(type="str"),
            state_dir=dict(type="path"),
            profiles_dir=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    try:
        reasons = differences(module)
    except Exception as error:  # the fast path must never fail a host: the slow path decides
        reasons = ["cannot tell: %s" % error]
    module.exit_json(changed=False, fast=not reasons, reasons=reasons)


if __name__ == "__main__":
    main()
