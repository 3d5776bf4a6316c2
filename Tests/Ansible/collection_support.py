"""Shared by the Ansible end-to-end tests: the collection as a user installs it, and the
ok/FAIL tally they print."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "templates", "ansible", "build-collection.sh")


def install_collection(work):
    """Builds the collection artifact (build-collection.sh) and installs it with ansible-galaxy
    under `work`; returns (the collections path for ANSIBLE_COLLECTIONS_PATH, the artifact)."""
    artifact = subprocess.run(["bash", BUILD, os.path.join(work, "artifact")], check=True,
                              capture_output=True, text=True).stdout.strip()
    collections = os.path.join(work, "collections")
    subprocess.run(["ansible-galaxy", "collection", "install", "--force", "-p", collections, artifact],
                   check=True, capture_output=True, text=True)
    return collections, artifact


class Tally:
    """Prints each assertion as ok or FAIL and keeps the count."""

    def __init__(self):
        self.passed = 0
        self.failures = []

    def check(self, condition, what):
        if condition:
            self.passed += 1
            print("  ok   " + what)
        else:
            self.failures.append(what)
            print("  FAIL " + what)
        return condition
