#!/usr/bin/env python3
"""Unit tests of the role's module (library/migfw_apply.py): the diff it builds from
`migfw plan --json` (README, "Plan JSON"). The module's behaviour against the kernel is
tested end to end by fleet_test.py.

    python3 -m unittest discover -s Tests/Ansible -p 'test_*.py'
"""
import importlib.util
import os
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PATH = os.path.join(ROOT, "templates", "ansible", "roles", "migfw", "library", "migfw_apply.py")
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
