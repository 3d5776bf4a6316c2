# A stdout callback for the fleet test: one JSON document at the end of the run, with every
# task's result per host and the play recap (ansible-core ships no JSON callback; the
# ansible.posix one is not installed here).
from __future__ import annotations

import json
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: fleet_json
type: stdout
short_description: every task result per host, as one JSON document
description: Used by Tests/Ansible/fleet_test.py.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "fleet_json"

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
        print(json.dumps({"plays": [{"tasks": self.tasks}], "stats": summary}, default=str))
