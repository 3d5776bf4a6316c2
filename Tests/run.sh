#!/usr/bin/env bash
# Installs what migfw needs, builds it and runs every test, kernel tests included.
# Needs root (the kernel tests create throwaway network namespaces): `bash Tests/run.sh`
# as root, or as a user with sudo (it re-runs itself with sudo). Under CI (CI=true) a
# skipped kernel test is a failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/become-root.sh"
become_root "${BASH_SOURCE[0]}" "$@"
cd "$(dirname "$0")/.."

# dpkg-dev, debhelper, lintian, man-db, systemd (systemd-analyze), binutils: the package build
# (dpkg-buildpackage) and its test (Tests/package.sh);
# qemu-system-x86: real QEMU live migrations across the testbed (QEMUMigrationTests);
# prometheus: promtool for the alerting rules (Tests/prometheus.sh).
packages=(libnftnl-dev libmnl-dev nftables iproute2 pkg-config python3 dpkg-dev debhelper lintian man-db systemd binutils qemu-system-x86 prometheus)
missing=0
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing=1
done
if [ "$missing" = 1 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${packages[@]}"
fi

# The policy schema tests validate samples with Python's jsonschema.
if ! python3 -c 'import yaml, jsonschema' 2>/dev/null; then
  python3 -m pip install --quiet pyyaml jsonschema
fi

# The Windows renderer tests parse the generated PowerShell with tree-sitter-powershell.
if ! python3 -c 'import tree_sitter, tree_sitter_powershell' 2>/dev/null; then
  python3 -m pip install --quiet 'tree-sitter>=0.25' 'tree-sitter-powershell>=0.25'
fi

if [ "${CI:-}" = "true" ]; then
  export MIGFW_REQUIRE_KERNEL_TESTS=1
fi
if [ "$(id -u)" != 0 ]; then
  echo "WARNING: not root: kernel tests will be SKIPPED (run as root to include them)" >&2
fi

swift build --build-tests
swift test --skip-build

# The README's quick start, end to end (root only; the build above makes its own build a no-op).
if [ "$(id -u)" = 0 ]; then
  bash samples/quickstart.sh > .build/quickstart.log 2>&1 || { cat .build/quickstart.log; exit 1; }
  echo "quick start (samples/quickstart.sh): ok"
  # The Debian package: build (twice, compared), lintian, install, upgrade, remove, purge (Tests/package.sh).
  bash Tests/package.sh > .build/package.log 2>&1 || { cat .build/package.log; exit 1; }
  grep '^package.sh:' .build/package.log
fi

# The Ansible collection (templates/ansible/collection, migfw.fleet): built and installed
# as a user would install it, ansible-lint on it and on site.yml, the modules' unit tests
# and, as root, a simulated fleet in network namespaces driven by ansible-playbook
# (Tests/Ansible/fleet_test.py; it uses the debug build above and its own built artifact).
if ! python3 -c 'import ansible, ansiblelint' 2>/dev/null; then
  python3 -m pip install --quiet 'ansible-core==2.19.14' 'ansible-lint==26.10.1'
fi
export PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
# The Hyper-V play first: it also fetches ansible.windows (from PyPI's ansible package,
# into .build/ansible/windows-collections), which the lint of the collection needs.
python3 Tests/Ansible/hyperv_test.py --migfw .build/debug/migfw
collection=$(bash templates/ansible/build-collection.sh .build/ansible)
rm -rf .build/ansible/collections
ansible-galaxy collection install --force -p .build/ansible/collections "$collection" >/dev/null
collections="$PWD/.build/ansible/collections:$PWD/.build/ansible/windows-collections"
(cd .build/ansible/collections/ansible_collections/migfw/fleet &&
  ANSIBLE_COLLECTIONS_PATH="$collections" ansible-lint --offline --profile production)
(cd templates/ansible && ANSIBLE_COLLECTIONS_PATH="$collections" ansible-lint --offline --profile production site.yml hyperv.yml)
python3 -m unittest discover -s Tests/Ansible -p 'test_*.py'
if [ "$(id -u)" = 0 ]; then
  python3 Tests/Ansible/fleet_test.py --migfw .build/debug/migfw
  # The role's default install method: the Debian package, installed into this machine and
  # purged again (the release build is cached by package.sh's, so this build is short).
  deb=$(bash templates/debian/build-deb.sh .build/deb 2> .build/deb-build.log) || { cat .build/deb-build.log; exit 1; }
  python3 Tests/Ansible/deb_install_test.py "$deb"
fi

# The Prometheus alerting rules: promtool check/test rules, and a real metrics file (root).
bash Tests/prometheus.sh

# libFuzzer harnesses, 60 s each (MIGFW_FUZZ_SECONDS changes it), in their own build directory.
bash Tests/Fuzz/run.sh
