#!/usr/bin/env bash
# Installs what migfw needs, builds it and runs every test, kernel tests included.
# Run as root: the kernel tests create throwaway network namespaces. Under CI
# (CI=true) a skipped kernel test is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libnftnl-dev libmnl-dev nftables iproute2 pkg-config python3)
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
fi

# libFuzzer harnesses, 60 s each (MIGFW_FUZZ_SECONDS changes it), in their own build directory.
bash Tests/Fuzz/run.sh
