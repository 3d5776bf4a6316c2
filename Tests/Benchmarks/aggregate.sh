#!/usr/bin/env bash
# Benchmark: `migfw aggregate` against FireHOL iprange, aggregate6, netaddr and Python's
# ipaddress.collapse_addresses on 1M random IPv4 prefixes, 100k IPv6 prefixes, and the 1M
# minus 10k exclusions. Checks that all outputs are the same set, prints median wall time,
# peak RSS (/usr/bin/time) and migfw's ratio to each peer, and saves the output to
# Tests/Benchmarks/results/aggregate.txt.
#
#   RUNS=5 (runs of migfw and iprange; the Python tools take a minute and run once)
#   BENCH_DATA=/tmp/migfw-bench-aggregate (generated once, reused)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-5}
data=${BENCH_DATA:-/tmp/migfw-bench-aggregate}
results=Tests/Benchmarks/results/aggregate.txt

need_apt=()
command -v iprange >/dev/null || need_apt+=(iprange)
[ -x /usr/bin/time ] || need_apt+=(time)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi
command -v aggregate6 >/dev/null || python3 -m pip install -q aggregate6
python3 -c 'import netaddr' 2>/dev/null || python3 -m pip install -q netaddr

swift build -c release --static-swift-stdlib --product migfw >&2
migfw="$(swift build -c release --static-swift-stdlib --show-bin-path)/migfw"

mkdir -p "$data" "$(dirname "$results")"
if [ ! -s "$data/v4.txt" ] || [ ! -s "$data/v6.txt" ] || [ ! -s "$data/ex.txt" ]; then
  python3 Tests/Benchmarks/aggregate_tools.py generate "$data"
fi

{
  echo "# migfw aggregate benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r), load average $(cut -d" " -f1-3 /proc/loadavg)"
  echo "# $(iprange --version 2>&1 | head -1 | tr -d "\n"); aggregate6 $(aggregate6 -V 2>&1 | head -1);" \
       "netaddr $(python3 -c 'import netaddr; print(netaddr.__version__)'); $(python3 --version)"
  echo "# data: $(wc -l < "$data/v4.txt") IPv4 lines, $(wc -l < "$data/v6.txt") IPv6 lines, $(wc -l < "$data/ex.txt") exclusions"
  echo "# migfw and iprange: median of $runs runs; Python tools (aggregate6, netaddr, ipaddress): 1 run"
  echo "# 'migfw faster' = peer median wall time / migfw median wall time; cpu s = median user+system; peak RSS = max over runs"
  python3 Tests/Benchmarks/aggregate_tools.py bench "$data" "$migfw" "$runs"
} | tee "$results"
