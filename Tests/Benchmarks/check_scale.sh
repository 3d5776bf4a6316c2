#!/usr/bin/env bash
# migfw check on policies whose trusted.files hold 10k, 100k and 1M prefixes: load (YAML,
# glob, PrefixListReader) plus every lint. Prints seconds, microseconds per prefix and the
# ratio to the 10k run (linear scaling gives 10x and 100x). Build first:
#   swift build -c release --static-swift-stdlib --product migfw
set -euo pipefail
cd "$(dirname "$0")/../.."
migfw="${MIGFW_BIN:-.build/release/migfw}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
for count in (10_000, 100_000, 1_000_000):
    with open(f"{work}/list-{count}.txt", "w") as f:
        f.write("# generated: disjoint IPv4 /32s in 10.0.0.0/8, every 10th an IPv6 /64 in fd00::/16\n")
        for i in range(count):
            if i % 10 == 9:
                f.write("fd00:%x:%x::/64\n" % (i >> 16, i & 0xffff))
            else:
                f.write("10.%d.%d.%d\n" % (i >> 16 & 255, i >> 8 & 255, i & 255))
    with open(f"{work}/policy-{count}.yaml", "w") as f:
        f.write(f"version: 1\ninterface: mig0\nprofile: libvirt\nauthentication: tls\n"
                f"trusted:\n  files: [list-{count}.txt]\nexclude: [10.0.0.1]\n")
    # The same list again under a covering network: every entry is an overlap finding.
    with open(f"{work}/overlap-{count}.yaml", "w") as f:
        f.write(f"version: 1\ninterface: mig0\nprofile: libvirt\nauthentication: tls\n"
                f"trusted:\n  networks: [10.0.0.0/8, \"fd00::/16\"]\n  files: [list-{count}.txt]\n")
PY

echo "migfw check, $("$migfw" --version), $(nproc) cores, best of 3"
printf '%-22s %10s %12s %8s\n' case seconds "us/prefix" ratio
base=""
for kind in policy overlap; do
  base=""
  for count in 10000 100000 1000000; do
    best=""
    for _ in 1 2 3; do
      start=$(date +%s.%N)
      "$migfw" check -c "$work/$kind-$count.yaml" > "$work/out.txt" || [ $? -le 1 ]
      end=$(date +%s.%N)
      t=$(echo "$end - $start" | bc -l)
      if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    [ -z "$base" ] && base=$best
    printf '%-22s %10.3f %12.2f %7.1fx\n' "$kind $count" "$best" "$(echo "$best * 1000000 / $count" | bc -l)" \
      "$(echo "$best / $base" | bc -l)"
  done
done
echo "last output: $(tail -1 "$work/out.txt")"
