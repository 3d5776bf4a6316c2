#!/usr/bin/python
# -*- coding: utf-8 -*-
# Part of the migfw.fleet collection: validates a rendered policy with `migfw check`.
from __future__ import annotations

DOCUMENTATION = r"""
---
module: migfw_check
short_description: Validate a migfw policy with migfw check, naming the inventory variable at fault
description:
  - Runs C(migfw check --json) on a policy file. Exit 0 (clean, or warnings only) passes,
    with the warnings as Ansible warnings; a lint error or an invalid file fails the host.
  - The failure's C(msg) holds the host, each error as C(FILE:LINE:COLUMN error MESSAGE [id]) with
    the path the policy is installed at (O(config_display)), migfw's hint, and the inventory
    variable the line came from, read from the line's C(# <- VARIABLE) comment that the
    role's template writes.
version_added: "1.0.0"
options:
  binary:
    description: The migfw executable on the host.
    type: path
    default: /usr/sbin/migfw
  config:
    description: The rendered policy to check.
    type: path
    required: true
  config_display:
    description: The path the policy is installed at, shown in messages instead of O(config).
    type: str
  profiles_dir:
    description: Hypervisor profiles directory, passed as E(MIGFW_PROFILES_DIR); omit for migfw's search path.
    type: path
  host:
    description: The inventory host the policy is for, named in the failure message.
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
author:
  - migfw authors
"""

EXAMPLES = r"""
- name: Validate the rendered policy
  migfw.fleet.migfw_check:
    config: /tmp/stage/migfw.yaml
    config_display: /etc/migfw/migfw.yaml
    host: "{{ inventory_hostname }}"
"""

RETURN = r"""
findings:
  description: migfw check's findings (C(migfw check --json)'s C(findings)), each with C(variable) when known.
  type: list
  elements: dict
  returned: always
"""

import json
import re

from ansible.module_utils.basic import AnsibleModule

MARKER = re.compile(r"#\s*<-\s*(.+?)\s*$")


def variable_of(lines, number):
    """The inventory variable a rendered line came from (its `# <- VAR` comment), or None."""
    if 1 <= number <= len(lines):
        match = MARKER.search(lines[number - 1])
        if match:
            return match.group(1)
    return None


def describe(finding, config, display, lines):
    """One finding as the failure message shows it: location, message, hint, variable."""
    file = display if finding.get("file") == config else finding.get("file")
    text = "%s:%s:%s: %s: %s [%s]" % (file, finding.get("line"), finding.get("column"), finding.get("severity"),
                                      finding.get("message"), finding.get("id"))
    if finding.get("variable"):
        text += " (this line comes from %s)" % finding["variable"]
    if finding.get("hint"):
        text += "; fix: %s" % finding["hint"]
    return text


def main():
    module = AnsibleModule(
        argument_spec=dict(
            binary=dict(type="path", default="/usr/sbin/migfw"),
            config=dict(type="path", required=True),
            config_display=dict(type="str"),
            profiles_dir=dict(type="path"),
            host=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    config, display = p["config"], p["config_display"] or p["config"]
    environ = {"NO_COLOR": "1"}
    if p["profiles_dir"]:
        environ["MIGFW_PROFILES_DIR"] = p["profiles_dir"]
    rc, out, err = module.run_command([p["binary"], "check", "--json", "-c", config], environ_update=environ)
    try:
        report = json.loads(out)
    except ValueError:
        module.fail_json(msg="%smigfw check printed no JSON (exit %d): %s"
                         % ("%s: " % p["host"] if p["host"] else "", rc, (err or out).strip()[-2000:]), rc=rc)
    try:
        with open(config, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        lines = []
    findings = report.get("findings", [])
    for finding in findings:
        if finding.get("file") == config:
            variable = variable_of(lines, finding.get("line") or 0)
            if variable:
                finding["variable"] = variable
            finding["file"] = display
    if rc == 0:
        for finding in findings:
            if finding.get("severity") == "warning":
                module.warn(describe(finding, config, display, lines))
        module.exit_json(changed=False, findings=findings)
    errors = [f for f in findings if f.get("severity") == "error"] or findings
    what = "is invalid" if rc == 2 else "has lint errors"
    head = "%s: the policy for %s %s" % (p["host"] or "migfw check", display, what)
    module.fail_json(msg="%s: %s" % (head, "; ".join(describe(f, config, display, lines) for f in errors)),
                     rc=rc, findings=findings, stderr=err)


if __name__ == "__main__":
    main()
