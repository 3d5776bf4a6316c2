#!/usr/bin/env bash
# Benchmark of `migfw render --target hyperv` (policy load + aggregation + complement +
# 1,000-entry split + PowerShell text) for 10k and 100k pairwise non-adjacent IPv4 /24s and
# 100k IPv6 /64s (Tests/Benchmarks/make-policy.py), beside `migfw compile --format cidr` on
# the same policy (load + aggregation alone). Prints medians of RUNS runs in ms, the firewall
# rules the script holds and its size. Needs no privileges.
# Usage: Tests/Benchmarks/render.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-5}"
swift build -c release --static-swift-stdlib --product migfw >/dev/null
migfw="$(swift build -c release --static-swift-stdlib --show-bin-path)/migfw"
work="$(mktemp -d /tmp/migfw-bench-render.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# Median wall time in ms of running "$@" $runs times, output discarded.
median_ms() {
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

printf '%-9s %9s %10s %9s %7s %9s\n' set intervals render_ms cidr_ms rules script_kb
for spec in ipv4:10000 ipv4:100000 ipv6:100000; do
  family="${spec%%:*}" count="${spec##*:}"
  dir="$work/$family-$count"
  python3 Tests/Benchmarks/make-policy.py "$family" "$count" "$dir"
  sed -i 's/^profile: libvirt$/profile: hyperv/' "$dir/policy.yaml"
  echo 'windows: { migration_networks: [192.0.2.0/24] }' >> "$dir/policy.yaml"
  "$migfw" render -c "$dir/policy.yaml" --target hyperv -o "$dir/migfw-hyperv.ps1"
  rules=$(grep -c '^    Sync-MigfwFirewallRule ' "$dir/migfw-hyperv.ps1")
  kb=$(( $(stat -c %s "$dir/migfw-hyperv.ps1") / 1024 ))
  r=$(median_ms "$migfw" render -c "$dir/policy.yaml" --target hyperv)
  c=$(median_ms "$migfw" compile -c "$dir/policy.yaml" --format cidr)
  printf '%-9s %9s %10s %9s %7s %9s\n' "$family" "$count" "$r" "$c" "$rules" "$kb"
done
