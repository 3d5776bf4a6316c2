#!/usr/bin/env python3
"""Unit tests of the collection's module migfw_check (plugins/modules/migfw_check.py): how a
refused policy's findings become a failure message that names the host, the installed
policy's path and line, migfw's hint and the inventory variable the line came from; and
that the role's template marks each variable-made line. The module against a real migfw is
tested by fleet_test.py (the canary).

    python3 -m unittest discover -s Tests/Ansible -p 'test_*.py'
"""
import importlib.util
import os
import re
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTION = os.path.join(ROOT, "templates", "ansible", "collection")
spec = importlib.util.spec_from_file_location("migfw_check", os.path.join(COLLECTION, "plugins", "modules", "migfw_check.py"))
migfw_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(migfw_check)

RENDERED = """# Ansible managed
version: 1
interface: "mig0"  # <- migfw_interface
trusted:
  networks:
    - "10.88.0.0/24"  # <- migfw_trusted_networks[0]
    - "10.90.0.1/24"  # <- migfw_trusted_networks[1]
  hosts:
    - { name: "hv1", address: "10.77.0.11" }  # <- hv1's migfw_migration_address
""".splitlines()


class VariableTests(unittest.TestCase):
    def test_a_marked_line_names_its_variable(self):
        self.assertEqual(migfw_check.variable_of(RENDERED, 7), "migfw_trusted_networks[1]")
        self.assertEqual(migfw_check.variable_of(RENDERED, 9), "hv1's migfw_migration_address")

    def test_unmarked_or_outside_lines_name_nothing(self):
        self.assertIsNone(migfw_check.variable_of(RENDERED, 2))
        self.assertIsNone(migfw_check.variable_of(RENDERED, 0))
        self.assertIsNone(migfw_check.variable_of(RENDERED, 99))

    def test_the_description_has_location_message_variable_and_fix(self):
        finding = {"file": "/etc/migfw/migfw.yaml", "line": 7, "column": 7, "severity": "error",
                   "message": "10.90.0.1/24 has host bits set", "id": "prefix", "hint": "write 10.90.0.0/24",
                   "variable": "migfw_trusted_networks[1]"}
        text = migfw_check.describe(finding, "/tmp/stage/migfw.yaml", "/etc/migfw/migfw.yaml", RENDERED)
        self.assertEqual(text, "/etc/migfw/migfw.yaml:7:7: error: 10.90.0.1/24 has host bits set [prefix]"
                               " (this line comes from migfw_trusted_networks[1]); fix: write 10.90.0.0/24")


class TemplateTests(unittest.TestCase):
    def test_every_line_that_renders_a_variable_is_marked(self):
        template = open(os.path.join(COLLECTION, "roles", "migfw", "templates", "migfw.yaml.j2")).read()
        for line in template.splitlines():
            stripped = line.strip()
            if stripped.startswith(("{%", "{#", "#")) or "{{" not in line:
                continue
            self.assertRegex(line, r"#\s*<-\s*\S", "a rendered line without its variable: %s" % line)

    def test_markers_are_yaml_comments_after_the_value(self):
        # A marker inside quotes would change the value: it must follow the closing quote.
        template = open(os.path.join(COLLECTION, "roles", "migfw", "templates", "migfw.yaml.j2")).read()
        for line in template.splitlines():
            if "# <-" in line and "{{" in line:
                self.assertIsNotNone(re.search(r"(\}\}|\]|\})\s+# <-", line), line)


if __name__ == "__main__":
    unittest.main()
