#!/usr/bin/env bash
# Benchmark: `migfw apply` (release build) vs `nft -f` of `migfw compile` output, for
# 10k/100k/1M IPv4 and 100k IPv6 intervals. A fresh network namespace per run (mig0 is a
# veth end); medians over RUNS runs; ratios in the same run. Root only; never touches the
# host namespace. Usage: Tests/Benchmarks/apply.sh [RUNS] (default 5; 1M uses 3).
# Output: stdout, and Tests/Benchmarks/results/apply.txt.
# Verified = migfw's default read-back of a created table (--verify full): dump for small
# sets, per-element lookups for large ones (Verifier.dumpVerificationBytes). Structure =
# --verify structure (table, set definitions, chains, rules; no elements).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-5}
work=$(mktemp -d /tmp/migfw-bench.XXXXXX)
namespaces=()
cleanup() {
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

swift build -c release --static-swift-stdlib --product migfw >/dev/null
migfw=$(swift build -c release --static-swift-stdlib --show-bin-path)/migfw

fresh_namespace() {
  local ns="mfwt-bench-$RANDOM$RANDOM"
  ip netns add "$ns"
  namespaces+=("$ns")
  ip -n "$ns" link set lo up
  ip -n "$ns" link add mig0 type veth peer name mig0p
  echo "$ns"
}
drop_namespace() { ip netns del "$1"; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

results=()
breakdowns=()
line() { results+=("$1"); echo "$1"; }

line "# migfw apply vs nft -f ($(date -u +%Y-%m-%dT%H:%MZ), kernel $(uname -r), $(nft --version), $(nproc) cores)"
line "# wall-clock medians in ms; fresh namespace per run; kernel = time inside migfw's one sendmsg"
line "# (nf_tables inserts and commits the whole batch before sendmsg returns)"
line "| set | runs | nft -f | migfw apply --no-verify | kernel | migfw --verify structure | migfw apply (verified, full) | migfw --no-verify / nft | migfw structure / nft | migfw verified / nft | migfw verified / kernel |"
line "|---|---|---|---|---|---|---|---|---|---|---|"

for spec in "ipv4 10000 10k" "ipv4 100000 100k" "ipv4 1000000 1M" "ipv6 100000 100k"; do
  set -- $spec
  family=$1 count=$2 label=$3
  runs=$RUNS
  [ "$count" -ge 1000000 ] && runs=3
  dir="$work/$family-$count"
  python3 Tests/Benchmarks/make-policy.py "$family" "$count" "$dir"
  "$migfw" compile -c "$dir/policy.yaml" > "$dir/ruleset.nft"

  nft_ms=() fast_ms=() kernel_ms=() structure_ms=() verified_ms=()
  for run in $(seq "$runs"); do
    ns=$(fresh_namespace)
    start=$(now_ms); ip netns exec "$ns" nft -f "$dir/ruleset.nft"; end=$(now_ms)
    nft_ms+=($((end - start)))
    drop_namespace "$ns"

    ns=$(fresh_namespace)
    start=$(now_ms); out=$("$migfw" apply --no-verify -c "$dir/policy.yaml" --netns "$ns"); end=$(now_ms)
    fast_ms+=($((end - start)))
    kernel_ms+=($(echo "$out" | sed -n 's/.*(kernel \([0-9]*\) ms).*/\1/p'))
    drop_namespace "$ns"

    ns=$(fresh_namespace)
    start=$(now_ms); "$migfw" apply --verify structure -c "$dir/policy.yaml" --netns "$ns" >/dev/null; end=$(now_ms)
    structure_ms+=($((end - start)))
    drop_namespace "$ns"

    ns=$(fresh_namespace)
    start=$(now_ms); out=$("$migfw" apply --timings -c "$dir/policy.yaml" --netns "$ns"); end=$(now_ms)
    verified_ms+=($((end - start)))
    [ "$run" = 1 ] && breakdowns+=("$label $family, one verified run: $(echo "$out" | sed -n 's/^timings: //p')")
    drop_namespace "$ns"
  done
  nft_m=$(printf '%s\n' "${nft_ms[@]}" | median)
  fast_m=$(printf '%s\n' "${fast_ms[@]}" | median)
  kernel_m=$(printf '%s\n' "${kernel_ms[@]}" | median)
  structure_m=$(printf '%s\n' "${structure_ms[@]}" | median)
  verified_m=$(printf '%s\n' "${verified_ms[@]}" | median)
  line "| $label $family | $runs | $nft_m | $fast_m | $kernel_m | $structure_m | $verified_m | $(ratio "$fast_m" "$nft_m")x | $(ratio "$structure_m" "$nft_m")x | $(ratio "$verified_m" "$nft_m")x | $(ratio "$verified_m" "$kernel_m")x |"
done
line ""
line "# where the time goes (migfw apply --timings, one verified run per size: policy phases, snapshot,"
line "# plan, commit (encode and the kernel's sendmsg), verify (full), record)"
for breakdown in "${breakdowns[@]}"; do line "- $breakdown"; done

mkdir -p Tests/Benchmarks/results
printf '%s\n' "${results[@]}" > Tests/Benchmarks/results/apply.txt
