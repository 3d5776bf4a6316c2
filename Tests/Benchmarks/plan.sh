#!/usr/bin/env bash
# Benchmark: plan-based apply and reconcile at 100k trusted prefixes, against nft.
#
#  1. a one-prefix policy change on a 100k-element set: `migfw apply` vs `nft add element`
#     of one element into the same set (each migfw run adds one new prefix to the policy, the
#     same change nft makes); `apply --timings` splits migfw's time into phases, and the
#     kernel's own commit of the one-element batch is shown for both tools (strace -T on the
#     batch's sendmsg for nft), since no tool can commit faster than the kernel does;
#  2. `migfw reconcile` when in sync (fast path: generation id + digest) vs `nft list set`;
#  3. the full drift check at 100k (`migfw reconcile --full`: dump, decode, plan).
# Medians of N runs, and ratios. Run as root; works only inside a throwaway namespace.
# Output is also saved to Tests/Benchmarks/results/plan.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-9}
SLOW_RUNS=${SLOW_RUNS:-5}
COUNT=${COUNT:-100000}

# The deployment build (README, "Install"): the Swift runtime linked in statically.
swift build -c release --static-swift-stdlib --product migfw >/dev/null
MIGFW=$PWD/.build/release/migfw

NS=mfwt-bench-$$
WORK=$(mktemp -d)
cleanup() { ip netns del "$NS" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link add mig0 type veth peer name mig0p
nsnft() { ip netns exec "$NS" nft "$@"; }

# The policy: COUNT random, pairwise non-adjacent IPv4 /24s (make-policy.py, shared with the
# apply benchmark), so the set holds exactly COUNT intervals.
python3 Tests/Benchmarks/make-policy.py ipv4 "$COUNT" "$WORK" >/dev/null
sed -i "s|trusted.txt|trusted*.txt|" "$WORK/policy.yaml"
grep -q 'trusted\*.txt' "$WORK/policy.yaml" || { echo "make-policy.py output changed"; exit 1; }
# A prefix for the one-prefix changes: a /26 inside an odd /24 (make-policy.py only picks even
# /24s), adjacent to nothing in the set, so it stays one element of its own.
gap() { local n=$(( ($1 * 1000003) % (1 << 23) )); local a=$(( ((2 * n + 1) << 8) + 64 )); echo "$((a >> 24)).$((a >> 16 & 255)).$((a >> 8 & 255)).$((a & 255))"; }

COMMON=(--netns "$NS" --state-dir "$WORK/state" --lock-file "$WORK/lock")
ms() { echo $(( ($2 - $1) / 1000000 )); }
now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

t0=$(now); "$MIGFW" apply -c "$WORK/policy.yaml" "${COMMON[@]}" >/dev/null; t1=$(now)
initial=$(ms "$t0" "$t1")
elements=$(nsnft list set inet migfw trusted4 | grep -o '/24' | wc -l)

# 1. One-prefix policy change: each run adds one new prefix to the policy and applies.
: > "$WORK/apply.ms"; : > "$WORK/apply-engine.ms"; : > "$WORK/apply-kernel.ms"; : > "$WORK/apply-load.ms"
: > "$WORK/trusted-extra.txt"
for i in $(seq 1 "$RUNS"); do
  echo "$(gap $((i * 997)))/26" >> "$WORK/trusted-extra.txt"
  t0=$(now); "$MIGFW" apply --timings -c "$WORK/policy.yaml" "${COMMON[@]}" > "$WORK/apply.out"; t1=$(now)
  grep -q "^Applied: 1 element added\. " "$WORK/apply.out" || { echo "unexpected apply output:"; cat "$WORK/apply.out"; exit 1; }
  ms "$t0" "$t1" >> "$WORK/apply.ms"
  grep -o 'one transaction, [0-9]* ms' "$WORK/apply.out" | grep -o '[0-9]*' >> "$WORK/apply-engine.ms"
  grep -o 'of which kernel [0-9.]* ms' "$WORK/apply.out" | grep -o '[0-9.]*' >> "$WORK/apply-kernel.ms"
  grep -o 'policy load [0-9.]* ms' "$WORK/apply.out" | grep -o '[0-9.]*' >> "$WORK/apply-load.ms"
done
grep '^timings:' "$WORK/apply.out" > "$WORK/apply-timings.txt"
apply_median=$(median < "$WORK/apply.ms")
engine_median=$(median < "$WORK/apply-engine.ms")
fmedian() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
kernel_median=$(fmedian < "$WORK/apply-kernel.ms")
load_median=$(fmedian < "$WORK/apply-load.ms")

# Baseline inside every command: reading and validating the 100k-prefix policy.
: > "$WORK/check.ms"
for i in $(seq 1 "$RUNS"); do
  t0=$(now); "$MIGFW" check -c "$WORK/policy.yaml" > /dev/null; t1=$(now)
  ms "$t0" "$t1" >> "$WORK/check.ms"
done
check_median=$(median < "$WORK/check.ms")

# 2. Reconcile when in sync (fast path), against `nft list set`.
: > "$WORK/reconcile.ms"
for i in $(seq 1 "$RUNS"); do
  t0=$(now); "$MIGFW" reconcile -c "$WORK/policy.yaml" "${COMMON[@]}" --metrics-file "$WORK/m.prom"; t1=$(now)
  grep -q "migfw_fast_path 1" "$WORK/m.prom" || { echo "fast path not taken"; cat "$WORK/m.prom"; exit 1; }
  ms "$t0" "$t1" >> "$WORK/reconcile.ms"
done
reconcile_median=$(median < "$WORK/reconcile.ms")

# 3. The full drift check (dump everything, decode, plan; in sync, so nothing is sent).
: > "$WORK/full.ms"
for i in $(seq 1 "$SLOW_RUNS"); do
  t0=$(now); "$MIGFW" reconcile -c "$WORK/policy.yaml" "${COMMON[@]}" --full; t1=$(now)
  ms "$t0" "$t1" >> "$WORK/full.ms"
done
full_median=$(median < "$WORK/full.ms")

# 3b. The same check finding and repairing one rogue element (what cron sees after drift).
: > "$WORK/repair.ms"
for i in $(seq 1 "$SLOW_RUNS"); do
  nsnft add element inet migfw trusted4 "{ $(gap $((i * 1009 + 1)))/26 }"
  set +e
  t0=$(now); MIGFW_LOG=stderr "$MIGFW" reconcile -c "$WORK/policy.yaml" "${COMMON[@]}" 2>/dev/null; rc=$?; t1=$(now)
  set -e
  [ "$rc" = 2 ] || { echo "reconcile did not repair (exit $rc)"; exit 1; }
  ms "$t0" "$t1" >> "$WORK/repair.ms"
done
repair_median=$(median < "$WORK/repair.ms")

# nft: one element into the same set, and listing the set.
: > "$WORK/nftadd.ms"
for i in $(seq 1 "$SLOW_RUNS"); do
  t0=$(now); nsnft add element inet migfw trusted4 "{ $(gap $((i * 1013 + 2)))/26 }"; t1=$(now)
  ms "$t0" "$t1" >> "$WORK/nftadd.ms"
done
nftadd_median=$(median < "$WORK/nftadd.ms")
# nft's own kernel commit of its one-element batch: the longest sendmsg (the batch; nft's
# reads are recvmsg). strace's overhead is per call, outside the kernel's work.
nft_kernel="n/a"
if command -v strace >/dev/null; then
  : > "$WORK/nftkernel.ms"
  for i in $(seq 1 "$SLOW_RUNS"); do
    strace -f -T -e trace=sendmsg -o "$WORK/nft.strace" ip netns exec "$NS" nft add element inet migfw trusted4 "{ $(gap $((i * 1019 + 3)))/26 }"
    grep -o '<[0-9.]*>$' "$WORK/nft.strace" | tr -d '<>' | sort -n | tail -1 | awk '{printf "%.1f\n", $1 * 1000}' >> "$WORK/nftkernel.ms"
  done
  nft_kernel=$(fmedian < "$WORK/nftkernel.ms")
fi
: > "$WORK/nftlist.ms"
for i in $(seq 1 "$SLOW_RUNS"); do
  t0=$(now); nsnft list set inet migfw trusted4 > /dev/null; t1=$(now)
  ms "$t0" "$t1" >> "$WORK/nftlist.ms"
done
nftlist_median=$(median < "$WORK/nftlist.ms")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == 0) a = 1; printf "%.1f", b / a }'; }
{
  echo "# migfw plan/reconcile benchmark, $(date -u +%Y-%m-%dT%H:%MZ), kernel $(uname -r), $(nproc) cores"
  echo "set trusted4: $elements elements (random, non-adjacent /24s); medians of $RUNS runs (nft and full checks: $SLOW_RUNS)"
  echo
  echo "initial migfw apply (table created, $COUNT prefixes):        ${initial} ms (one run)"
  echo "1. one-prefix policy change: migfw apply                    ${apply_median} ms   runs: $(paste -sd' ' "$WORK/apply.ms")"
  echo "   same set: nft add element (one element)                  ${nftadd_median} ms   runs: $(paste -sd' ' "$WORK/nftadd.ms")"
  echo "   ratio nft / migfw: $(ratio "$apply_median" "$nftadd_median")x  (target: >= 40x)"
  echo "   migfw's phases (last run): $(sed 's/^timings: //' "$WORK/apply-timings.txt")"
  echo "   of which: policy read (load phase)                       ${load_median} ms   runs: $(paste -sd' ' "$WORK/apply-load.ms")"
  echo "   of which: snapshot + plan + commit (apply's own clock)      ${engine_median} ms   runs: $(paste -sd' ' "$WORK/apply-engine.ms")"
  echo "   of which: the kernel's commit of the one-element batch    ${kernel_median} ms   runs: $(paste -sd' ' "$WORK/apply-kernel.ms")"
  echo "   nft's own kernel commit of its one-element batch          ${nft_kernel} ms   runs: $(paste -sd' ' "$WORK/nftkernel.ms" 2>/dev/null)"
  echo "   ceiling for any tool committing through this kernel: nft / kernel commit = $(awk -v a="$kernel_median" -v b="$nftadd_median" 'BEGIN { printf "%.1f", b / a }')x"
  echo "   migfw check alone (read + all lints)                      ${check_median} ms   runs: $(paste -sd' ' "$WORK/check.ms")"
  echo "2. migfw reconcile, in sync (fast path, no dump)            ${reconcile_median} ms   runs: $(paste -sd' ' "$WORK/reconcile.ms")"
  echo "   nft list set inet migfw trusted4                         ${nftlist_median} ms   runs: $(paste -sd' ' "$WORK/nftlist.ms")"
  echo "   ratio nft list / reconcile: $(ratio "$reconcile_median" "$nftlist_median")x"
  echo "3. full drift check (reconcile --full, in sync)             ${full_median} ms   runs: $(paste -sd' ' "$WORK/full.ms")"
  echo "   drift found + repaired (one rogue element)               ${repair_median} ms   runs: $(paste -sd' ' "$WORK/repair.ms")"
  echo "   ratio nft list / full check: $(ratio "$full_median" "$nftlist_median")x"
} | tee Tests/Benchmarks/results/plan.txt
