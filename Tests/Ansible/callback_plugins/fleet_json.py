# An aggregate callback for the fleet test: writes every task's result per host and the
# play recap as one JSON document to $FLEET_JSON_OUT at the end of the run, while the
# default callback prints as usual (ansible-core ships no JSON callback; the ansible.posix
# one is not installed here).
from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: fleet_json
type: aggregate
short_description: every task result per host, as one JSON document in $FLEET_JSON_OUT
description: Used by Tests/Ansible/fleet_test.py.
requirements:
  - enabled with ANSIBLE_CALLBACKS_ENABLED=fleet_json
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "fleet_json"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.tasks = []

    def _record(self, result, status):
        name = result.task_name if hasattr(result, "task_name") else result._task.get_name()
        host = result.host.name if hasattr(result, "host") else result._host.get_name()
        data = dict(result.result if hasattr(result, "result") else result._result)
        data["_status"] = status
        data["_time"] = time.time()
        self.tasks.append({"task": {"name": name}, "hosts": {host: data}})

    def v2_runner_on_ok(self, result, **kwargs):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False, **kwargs):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result, **kwargs):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result, **kwargs):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        summary = {host: stats.summarize(host) for host in sorted(stats.processed)}
        with open(os.environ["FLEET_JSON_OUT"], "w") as handle:
            json.dump({"plays": [{"tasks": self.tasks}], "stats": summary}, handle, default=str)
