# -*- coding: utf-8 -*-
# Part of the migfw.fleet collection: the controller side of migfw_state. It turns the
# controller files the role would copy (the binary, your own profiles, the units) into
# SHA-1s, so that the host compares them without any file being transferred.
from __future__ import annotations

import hashlib
import os

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

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        checksums = dict(args.get("checksums") or {})
        try:
            for remote, local in (args.pop("local_files", None) or {}).items():
                checksums[remote] = sha1(local)
            for remote_dir, local_dir in (args.pop("local_dirs", None) or {}).items():
                for name in sorted(os.listdir(local_dir)):
                    path = os.path.join(local_dir, name)
                    if os.path.isfile(path):
                        checksums[os.path.join(remote_dir, name)] = sha1(path)
        except OSError as error:
            # A controller file that cannot be read: no fast path; the slow path says why.
            result.update(changed=False, fast=False, reasons=["controller: %s" % error])
            return result
        args["checksums"] = checksums
        result.update(self._execute_module(module_name="migfw.fleet.migfw_state", module_args=args,
                                           task_vars=task_vars))
        return result
