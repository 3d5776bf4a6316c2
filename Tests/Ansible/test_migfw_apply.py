#!/usr/bin/env python3
"""Unit tests of the collection's module migfw_apply (plugins/modules/migfw_apply.py): the diff it builds from
`migfw plan --json` (docs/operations.md, "Plan JSON"). The module's behaviour against the kernel is
tested end to end by fleet_test.py.

    python3 -m unittest discover -s Tests/Ansible -p 'test_*.py'
"""
import importlib.util
import os
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PATH = os.path.join(ROOT, "templates", "ansible", "collection", "plugins", "modules", "migfw_apply.py")
spec = importlib.util.spec_from_file_location("migfw_apply", PATH)
migfw_apply = importlib.util.module_from_spec(spec)
spec.loader.exec_module(migfw_apply)


def element(first, last, cidrs=None):
    e = {"first": first, "last": last}
    if cidrs is not None:
        e["cidrs"] = cidrs
    return e


class RenderDiffTests(unittest.TestCase):
    def test_element_update_shows_only_the_changed_elements_under_one_header(self):
        plan = {"sets": [{"name": "trusted4", "action": "update", "type": "ipv4_addr", "flags": None,
                          "previous": None,
                          "add": [element("10.0.0.0", "10.0.1.127", ["10.0.0.0/24", "10.0.1.0/25"])],
                          "remove": [element("10.66.0.7", "10.66.0.7", ["10.66.0.7/32"])]}],
                "chains": []}
        before, after = migfw_apply.render_diff(plan, 100)
        self.assertEqual(before, "set trusted4\n    10.66.0.7/32\n")
        self.assertEqual(after, "set trusted4\n    10.0.0.0/24, 10.0.1.0/25\n")

    def test_chain_policy_and_rules_before_and_after(self):
        plan = {"sets": [], "chains": [{
            "name": "input", "action": "update", "base": None, "reason": None,
            "policy": {"from": "drop", "to": "accept"},
            "rules": {"before": ["iifname != \"mig0\" return", "counter drop"],
                      "after": ["iifname != \"mig1\" return", "counter drop"]}}]}
        before, after = migfw_apply.render_diff(plan, 100)
        self.assertEqual(before, "chain input\n    policy drop\n    iifname != \"mig0\" return\n    counter drop\n")
        self.assertEqual(after, "chain input\n    policy accept\n    iifname != \"mig1\" return\n    counter drop\n")

    def test_replaced_set_names_both_types_and_ports_print_as_ranges(self):
        plan = {"sets": [{"name": "tcp_ports", "action": "replace", "type": "inet_service", "flags": ["interval"],
                          "previous": {"type": "inet_service", "flags": []},
                          "add": [element("49152", "49215"), element("16514", "16514")],
                          "remove": [element("6600", "6600")]}], "chains": []}
        before, after = migfw_apply.render_diff(plan, 100)
        self.assertEqual(before, "set tcp_ports (inet_service)\n    6600\n")
        self.assertEqual(after, "set tcp_ports (inet_service, interval)\n    49152-49215\n    16514\n")

    def test_missing_table_and_long_lists_fold_to_a_count(self):
        adds = [element("10.0.%d.1" % i, "10.0.%d.1" % i, ["10.0.%d.1/32" % i]) for i in range(5)]
        plan = {"table_missing": True,
                "sets": [{"name": "trusted4", "action": "create", "type": "ipv4_addr", "flags": ["interval"],
                          "previous": None, "add": adds, "remove": []}],
                "chains": [{"name": "input", "action": "create",
                            "base": {"type": "filter", "hook": "input", "priority": 0, "policy": "accept"},
                            "reason": None, "policy": None, "rules": {"before": [], "after": ["counter drop"]}}]}
        before, after = migfw_apply.render_diff(plan, 2)
        self.assertEqual(before, "(no table inet migfw)\n")
        self.assertEqual(after, "set trusted4 (ipv4_addr, interval)\n    10.0.0.1/32\n    10.0.1.1/32\n"
                                "    ... and 3 more elements\n"
                                "chain input (type filter hook input priority 0)\n    policy accept\n    counter drop\n")

    def test_deleted_objects_appear_only_before(self):
        plan = {"table_flags": {"from": ["dormant"], "to": []},
                "sets": [{"name": "old", "action": "delete", "type": "ipv4_addr", "flags": None, "previous": None,
                          "add": [], "remove": [element("192.0.2.1", "192.0.2.1", ["192.0.2.1/32"])]}],
                "chains": [{"name": "forward", "action": "delete", "base": None, "reason": None, "policy": None,
                            "rules": {"before": ["counter accept"], "after": []}}]}
        before, after = migfw_apply.render_diff(plan, 100)
        self.assertEqual(before, "table flags: dormant\nset old\n    192.0.2.1/32\nchain forward\n    counter accept\n")
        self.assertEqual(after, "table flags: none\n")

    def test_intrusion_warnings_name_the_set_and_addresses(self):
        plan = {"unexpected_addresses": [{"set": "trusted4", "catch_all": True,
                                          "addresses": [element("10.66.0.7", "10.66.0.7", ["10.66.0.7/32"])]}]}
        (warning,) = migfw_apply.intrusion_warnings(plan)
        self.assertIn("set trusted4", warning)
        self.assertIn("10.66.0.7/32, a catch-all element", warning)


if __name__ == "__main__":
    unittest.main()


class StateFileTests(unittest.TestCase):
    """The confirm log is written the way migfw writes its own files (#20): never through
    a symlink planted in the state directory, and only in a directory no one else can write."""

    def setUp(self):
        import tempfile
        self.root = tempfile.mkdtemp()
        self.state = os.path.join(self.root, "state")
        os.mkdir(self.state, 0o700)

    def tearDown(self):
        import shutil
        shutil.rmtree(self.root)

    def test_a_planted_symlink_is_replaced_not_followed(self):
        victim = os.path.join(self.root, "victim")
        with open(victim, "w") as handle:
            handle.write("precious\n")
        log_path = os.path.join(self.state, "confirm-default.ansible.log")
        os.symlink(victim, log_path)
        fd = migfw_apply.create_log(self.state, log_path)
        try:
            os.write(fd, b"apply output\n")
            self.assertEqual(migfw_apply.read_fd(fd), "apply output\n")
        finally:
            os.close(fd)
        with open(victim) as handle:
            self.assertEqual(handle.read(), "precious\n")
        self.assertFalse(os.path.islink(log_path))
        self.assertEqual(migfw_apply.read_private(log_path), "apply output\n")
        self.assertEqual(os.stat(log_path).st_mode & 0o777, 0o600)
        self.assertEqual(sorted(os.listdir(self.state)), ["confirm-default.ansible.log"])

    def test_reading_refuses_a_symlink(self):
        target = os.path.join(self.root, "secret")
        with open(target, "w") as handle:
            handle.write("token\n")
        link = os.path.join(self.state, "confirm-default.pending")
        os.symlink(target, link)
        with self.assertRaises(OSError):
            migfw_apply.read_private(link)

    def test_a_directory_others_can_write_is_refused(self):
        class Failed(Exception):
            pass

        class Module:
            def fail_json(self, **kwargs):
                raise Failed(kwargs["msg"])

        os.chmod(self.state, 0o777)
        with self.assertRaises(Failed) as raised:
            migfw_apply.private_state_dir(Module(), self.state)
        self.assertIn("no one else can write", str(raised.exception))
        os.chmod(self.state, 0o700)
        migfw_apply.private_state_dir(Module(), self.state)
        migfw_apply.private_state_dir(Module(), os.path.join(self.root, "new"))
        self.assertEqual(os.stat(os.path.join(self.root, "new")).st_mode & 0o777, 0o700)
