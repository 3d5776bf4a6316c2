#!/usr/bin/env bash
# Benchmark of `migfw compile` (policy load + aggregation + compile + render) for large
# trusted sets: 10k/100k/1M random IPv4 /24s and 100k IPv6 /64s, in every output format.
# Also, for reference, how long `nft -f` takes to load the 100k IPv4 text in a throwaway
# namespace. Prints medians of RUNS runs and the ratios, in one run.
# Usage: Tests/Benchmarks/compile.sh [RUNS]   (root only needed for the nft -f reference)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-5}"
swift build -c release --static-swift-stdlib --product migfw >/dev/null
migfw="$(swift build -c release --static-swift-stdlib --show-bin-path)/migfw"
work="$(mktemp -d /tmp/migfw-bench-compile.XXXXXX)"
namespace=""
cleanup() {
  if [ -n "$namespace" ]; then ip netns del "$namespace" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

python3 - "$work" <<'PY'
import random, sys
work = sys.argv[1]
random.seed(4)
def v4(n):
    nets = random.sample(range(1 << 24), n)
    return "\n".join(f"{x >> 16}.{(x >> 8) & 255}.{x & 255}.0/24" for x in nets)
def v6(n):
    nets = random.sample(range(1 << 32), n)
    return "\n".join(f"2001:db8:{x >> 16:x}:{x & 0xffff:x}::/64" for x in nets)
for name, text in [("v4-10k", v4(10_000)), ("v4-100k", v4(100_000)), ("v4-1m", v4(1_000_000)), ("v6-100k", v6(100_000))]:
    open(f"{work}/{name}.txt", "w").write(text + "\n")
    open(f"{work}/{name}.yaml", "w").write(f"""version: 1
interface: mig0
profile: libvirt
dedicated: true
allow_broad: true
trusted:
  files: [{work}/{name}.txt]
""")
PY

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

printf '%-8s %9s %9s %9s %9s\n' set cidrs nft_ms json_ms cidr_ms
declare -A nft_ms
for name in v4-10k v4-100k v4-1m v6-100k; do
  policy="$work/$name.yaml"
  cidrs=$("$migfw" compile -c "$policy" --format cidr | wc -l)
  n=$(median_ms "$migfw" compile -c "$policy" --format nft)
  j=$(median_ms "$migfw" compile -c "$policy" --format json)
  c=$(median_ms "$migfw" compile -c "$policy" --format cidr)
  nft_ms[$name]=$n
  printf '%-8s %9s %9s %9s %9s\n' "$name" "$cidrs" "$n" "$j" "$c"
done
echo "ratio 1M/100k IPv4 (nft text): $(awk -v a="${nft_ms[v4-1m]}" -v b="${nft_ms[v4-100k]}" 'BEGIN {printf "%.1f", a / b}') (10 = linear)"

if [ "$(id -u)" = 0 ]; then
  namespace="mfwt-bench-$$"
  ip netns add "$namespace"
  "$migfw" compile -c "$work/v4-100k.yaml" >"$work/v4-100k.nft"
  load() { ip netns exec "$namespace" nft delete table inet migfw 2>/dev/null || true; ip netns exec "$namespace" nft -f "$work/v4-100k.nft"; }
  l=$(median_ms load)
  echo "reference: nft -f of the 100k IPv4 text: ${l} ms; compile is $(awk -v a="$l" -v b="${nft_ms[v4-100k]}" 'BEGIN {printf "%.1f", a / b}')x faster than loading it"
fi
