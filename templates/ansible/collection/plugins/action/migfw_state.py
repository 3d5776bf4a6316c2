# -*- coding: utf-8 -*-
# Part of the migfw.fleet collection: the controller side of migfw_state. It turns the
# controller files the role would copy (the binary, your own profiles, the units) into
# SHA-1s, so that the host compares them without any file being transferred.
from __future__ import annotations

import hashlib
import os

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase


def sha1(path):
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class ActionModule(ActionBase):
    """Adds `checksums` (host path -> SHA-1 of the controller's file) and runs the module."""

    _requires_connection = True

    def _local(self, path):
        """A controller path as the copy task finds it: relative ones in files/ of the role or playbook."""
        return path if os.path.isabs(path) else self._find_needle("files", path)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        checksums = dict(args.get("checksums") or {})
        modes = dict(args.get("modes") or {})
        try:
            for remote, local in (args.pop("local_files", None) or {}).items():
                checksums[remote] = sha1(self._local(local))
            for remote_dir, local_dir in (args.pop("local_dirs", None) or {}).items():
                local_dir = self._local(local_dir)
                for name in sorted(os.listdir(local_dir)):
                    path = os.path.join(local_dir, name)
                    if os.path.isfile(path):
                        checksums[os.path.join(remote_dir, name)] = sha1(path)
                        # The role's copies of units and profiles are 0644 (copy mode / the archive's).
                        modes.setdefault(os.path.join(remote_dir, name), "0644")
        except (OSError, AnsibleError) as error:
            # A controller file that cannot be read: no fast path; the slow path says why.
            result.update(changed=False, fast=False, reasons=["controller: %s" % error])
            return result
        args["checksums"] = checksums
        args["modes"] = modes
        result.update(self._execute_module(module_name="migfw.fleet.migfw_state", module_args=args,
                                           task_vars=task_vars))
        return result
