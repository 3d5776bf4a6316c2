#!/usr/bin/env bash
# Benchmark: what migfw's firewall costs on the data path. TCP throughput (iperf3, server in
# the testbed's hv namespace, client in a peer's) over IPv4 and IPv6 on two paths:
#
#   mgmt  the management NIC: mgmt peer -> hv's mgmt0 address, port 5201 (iperf3's default);
#         (migfw's rules for other interfaces: a few compares, no set lookup once established)
#   mig   an established migration flow on the migration NIC: trusted peer -> hv's mig0
#         address (through the segment's bridge), port 49152 (libvirt profile)
#
# under six configurations, loaded in hv's namespace only:
#
#   none           no nft table at all (no netfilter hook, no conntrack in the namespace)
#   ct             conntrack alone: table inet hostfw, input chain, policy accept,
#                  `ct state established,related accept` (what most hypervisors already have)
#   migfw          migfw's table alone (`migfw apply --netns NS -c POLICY`, testbed.sh policy
#                  libvirt): its `ct state` rules turn conntrack on, as any stateful table does
#   ct+migfw       hostfw + migfw's table
#   notrack        hostfw + a raw-priority table (prerouting and output, priority -300)
#                  that exempts the trusted migration flows on mig0 from conntrack, both
#                  directions; every other packet is tracked as in `ct`
#   notrack+migfw  notrack + migfw's table: the untracked packets are no longer "established",
#                  so each one walks migfw's chain to its set-lookup accept rule (trusted
#                  source set + port set): a stateless migfw, per packet
#
# The configurations are interleaved: every round applies each of them in turn (the starting
# one rotates per round) and measures the four path/family cells under it, so drift on a busy
# machine hits every configuration alike. iperf3 runs SECONDS s after a 1 s omitted warm-up
# (-O 1), client pinned to CPU 0, server to CPU 1 (-A 0,1). Medians, min-max, and the ratio of
# the median to `none`'s median on the same cell; sender/receiver CPU as iperf3 reports it.
#
# --profile answers where the CPU goes instead of how fast the stream is: throughput on one
# busy core spreads 10-30% from run to run, far more than the 3% in question, while the share
# of CPU time a packet spends in netfilter, read off a kernel profile, spreads about a point.
# Every run is sampled system-wide (`perf record -a`, cpu-clock at FREQ Hz, package linux-perf)
# and the samples of the flow (iperf3, ksoftirqd and the softirqs run on the idle task; idle
# itself and every other process left out) are sorted by kernel function into:
#   rules      nftables rule evaluation: nft_do_chain*, the expressions (nft_*_eval, meta,
#              cmp, payload, counter, lookup) and the set back-ends (rbtree, hash, bitmap,
#              pipapo): the cost of the rules themselves, migfw's and any other table's
#   conntrack  connection tracking: nf_conntrack_*, nf_ct_*, nf_confirm, ipv4/ipv6_conntrack_*,
#              the defrag hooks conntrack registers
#   hooks      netfilter's hook dispatch (nf_hook_slow*)
# as a share of the flow's samples: lower bounds (time in retpoline thunks on the way to a
# rule's expressions, and br_netfilter's own functions, are in no part), with each run's
# spread and the share over `none` on the same path (the testbed's bridge makes the migration
# NIC's path pay some hook dispatch with no table at all).
# Configurations: none, ct, migfw, ct+migfw, notrack+migfw.
# Results in Tests/Benchmarks/results/packet-profile.txt.
#
# Usage: Tests/Benchmarks/packet-path.sh [--quick] [--runs N] [--seconds S] [--migfw PATH]
#                                        [--profile [--freq HZ]]
#   --quick        1 run of 1 s per cell (a smoke check; the results file is not written)
#   --profile      the CPU profile above instead of the throughput table (default 3 rounds)
#   --freq HZ      perf's sampling rate for --profile (default 2999)
#   --runs N       rounds (default 5)          --seconds S  measured seconds per run (default 4)
#   --migfw PATH   the binary (default .build/release/migfw if present, else .build/debug/migfw;
#                  if neither exists, a release build in .build-bench)
# The binary is copied at the start (a concurrent build cannot change it mid-run); the
# chains it loaded are listed in the output, since the ruleset is what is measured.
# Run as root. Only the testbed's namespaces (mfwt-pp-*) are touched, never the host's own
# firewall. Output: stdout, and Tests/Benchmarks/results/packet-path.txt (full runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TESTBED_SH="$ROOT/Tests/Testbed/testbed.sh"

RUNS="" SECONDS_PER_RUN=4 QUICK=false MIGFW="" PROFILE=false FREQ=2999
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=true ;;
    --profile) PROFILE=true ;;
    --freq) FREQ=${2:?--freq HZ}; shift ;;
    --runs) RUNS=${2:?--runs N}; shift ;;
    --seconds) SECONDS_PER_RUN=${2:?--seconds S}; shift ;;
    --migfw) MIGFW=${2:?--migfw PATH}; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "packet-path: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if $PROFILE; then RUNS=${RUNS:-3}; else RUNS=${RUNS:-5}; fi
if $QUICK; then RUNS=1 SECONDS_PER_RUN=1; fi
[[ "$RUNS" =~ ^[1-9][0-9]*$ && "$SECONDS_PER_RUN" =~ ^[1-9][0-9]*$ && "$FREQ" =~ ^[1-9][0-9]*$ ]] || {
  echo "packet-path: --runs, --seconds and --freq take positive integers" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "packet-path: run as root" >&2; exit 2; }
command -v iperf3 >/dev/null || { echo "packet-path: iperf3 missing (apt-get install -y iperf3)" >&2; exit 2; }
! $PROFILE || command -v perf >/dev/null || {
  echo "packet-path: perf missing for --profile (apt-get install -y linux-perf)" >&2; exit 2; }

if [ -z "$MIGFW" ]; then
  if [ -x .build/release/migfw ]; then MIGFW=.build/release/migfw
  elif [ -x .build/debug/migfw ]; then MIGFW=.build/debug/migfw
  else
    # The deployment build (README, "Install"), in a scratch directory of its own.
    swift build -c release --static-swift-stdlib --product migfw --scratch-path "$ROOT/.build-bench" >/dev/null
    MIGFW=$ROOT/.build-bench/release/migfw
  fi
fi
[ -x "$MIGFW" ] || { echo "packet-path: no migfw binary at $MIGFW" >&2; exit 2; }
MIGFW=$(cd "$(dirname "$MIGFW")" && pwd)/$(basename "$MIGFW")
MIGFW_SOURCE=$MIGFW

NAME=mfwt-pp-$$
WORK=$(mktemp -d /tmp/migfw-bench-packet.XXXXXX)
cleanup() {
  trap - EXIT INT TERM
  bash "$TESTBED_SH" down "$NAME" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "packet-path: interrupted" >&2; exit 130' INT TERM

# A snapshot of the binary: a build running meanwhile must not change the ruleset mid-run.
cp "$MIGFW" "$WORK/migfw"
MIGFW=$WORK/migfw

bash "$TESTBED_SH" up "$NAME" >/dev/null
eval "$(bash "$TESTBED_SH" env "$NAME")"
HV=$NS_HV
bash "$TESTBED_SH" policy libvirt > "$WORK/policy.yaml"
# migfw's run lock and state in the scratch directory: nothing under /run/migfw is touched.
MIGFW_OPTS=(--netns "$HV" --lock-file "$WORK/migfw.lock")
MIG_PORT=49152 MIG_RANGE=49152-49215 MGMT_PORT=5201

hv_nft() { ip netns exec "$HV" nft "$@"; }

# --- the configurations --------------------------------------------------------------------
CONFIGS=(none ct migfw ct+migfw notrack notrack+migfw)
$PROFILE && CONFIGS=(none ct migfw ct+migfw notrack+migfw)

load_hostfw() {
  hv_nft -f - <<'EOF'
table inet hostfw {
  chain input {
    type filter hook input priority 0; policy accept;
    ct state established,related accept
  }
}
EOF
}

# The conntrack exemption for the trusted migration flows on mig0, both directions: without
# the output rules, hv's replies (ACKs) would be picked up by conntrack mid-stream.
load_notrack() {
  hv_nft -f - <<EOF
table inet mfwbench_notrack {
  chain prerouting {
    type filter hook prerouting priority raw; policy accept;
    iifname "mig0" ip saddr $TRUSTED_NET4 tcp dport $MIG_RANGE notrack
    iifname "mig0" ip6 saddr $TRUSTED_NET6 tcp dport $MIG_RANGE notrack
  }
  chain output {
    type filter hook output priority raw; policy accept;
    oifname "mig0" ip daddr $TRUSTED_NET4 tcp sport $MIG_RANGE notrack
    oifname "mig0" ip6 daddr $TRUSTED_NET6 tcp sport $MIG_RANGE notrack
  }
}
EOF
}

load_migfw() { "$MIGFW" apply "${MIGFW_OPTS[@]}" --state-dir "$WORK/state" -c "$WORK/policy.yaml" --no-verify >/dev/null; }

set_config() {
  "$MIGFW" delete "${MIGFW_OPTS[@]}" >/dev/null
  hv_nft flush ruleset   # hv is the testbed's own namespace
  case $1 in
    none) ;;
    ct) load_hostfw ;;
    migfw) load_migfw ;;
    ct+migfw) load_hostfw; load_migfw ;;
    notrack) load_notrack; load_hostfw ;;
    notrack+migfw) load_notrack; load_hostfw; load_migfw ;;
  esac
  local tables
  tables=$(hv_nft list tables | awk '{print $3}' | sort | tr '\n' ' ')
  case $1 in
    none) [ -z "$tables" ] ;;
    ct) [ "$tables" = "hostfw " ] ;;
    migfw) [ "$tables" = "migfw " ] ;;
    ct+migfw) [ "$tables" = "hostfw migfw " ] ;;
    notrack) [ "$tables" = "hostfw mfwbench_notrack " ] ;;
    notrack+migfw) [ "$tables" = "hostfw mfwbench_notrack migfw " ] ;;
  esac || { echo "packet-path: config $1 loaded tables '$tables'" >&2; exit 1; }
}

# Packets that reached migfw's set-lookup accept rules (trusted set + port set), v4 + v6.
migfw_accepts() {
  hv_nft list table inet migfw |
    awk '/saddr @trusted[46] tcp dport @tcp_ports counter/ { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i+1) } END { print n + 0 }'
}

# --- the cells -----------------------------------------------------------------------------
CELLS=(mgmt4 mgmt6 mig4 mig6)
declare -A CELL_NODE=([mgmt4]=mgmt [mgmt6]=mgmt [mig4]=trusted [mig6]=trusted)
declare -A CELL_ADDR=([mgmt4]=$MGMT_HV4 [mgmt6]=$MGMT_HV6 [mig4]=$HV4 [mig6]=$HV6)
declare -A CELL_PORT=([mgmt4]=$MGMT_PORT [mgmt6]=$MGMT_PORT [mig4]=$MIG_PORT [mig6]=$MIG_PORT)
declare -A CELL_LABEL=([mgmt4]="mgmt0 IPv4" [mgmt6]="mgmt0 IPv6" [mig4]="mig0 IPv4" [mig6]="mig0 IPv6")

PIN=()
[ "$(nproc)" -ge 2 ] && PIN=(-A 0,1)

# iperf3 servers (dual-stack) in hv, one per port; `testbed.sh down` ends them.
for port in $MGMT_PORT $MIG_PORT; do
  ip netns exec "$HV" iperf3 -s -p "$port" >/dev/null 2>&1 &
  disown
done
for _ in $(seq 50); do
  n=$(ip netns exec "$HV" ss -Htln "( sport = :$MGMT_PORT or sport = :$MIG_PORT )" | wc -l)
  [ "$n" -ge 2 ] && break
  sleep 0.1
done

# One iperf3 run; prints "Gbit/s sender-CPU% receiver-CPU% retransmits". With --profile it
# runs under perf, whose data is left in $WORK/perf.data.
SAMPLER=()
$PROFILE && SAMPLER=(perf record -q -a -F "$FREQ" -o "$WORK/perf.data" --)
measure() {
  local cell=$1 seconds=$2 omit=$3 out="$WORK/last.json" attempt
  for attempt in 1 2 3; do
    if "${SAMPLER[@]}" ip netns exec "$NAME-${CELL_NODE[$cell]}" iperf3 -c "${CELL_ADDR[$cell]}" -p "${CELL_PORT[$cell]}" \
         -t "$seconds" -O "$omit" "${PIN[@]}" -J > "$out" 2>/dev/null; then
      python3 - "$out" <<'EOF' && return 0
import json, sys
end = json.load(open(sys.argv[1]))["end"]
cpu = end["cpu_utilization_percent"]
print("%.3f %.1f %.1f %d" % (end["sum_received"]["bits_per_second"] / 1e9, cpu["host_total"],
                             cpu["remote_total"], end["sum_sent"].get("retransmits", 0)))
EOF
    fi
    sleep 1   # the server still busy with the previous test: try again
  done
  echo "packet-path: iperf3 failed for $cell" >&2
  exit 1
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
# Warm-up (neighbour discovery, the servers' first accept), not recorded.
set_config none
for cell in "${CELLS[@]}"; do measure "$cell" 1 0 >/dev/null; done

samples="$WORK/samples"
: > "$samples"
declare -A ACCEPTS=()
for run in $(seq "$RUNS"); do
  n=${#CONFIGS[@]}
  for k in $(seq 0 $((n - 1))); do
    config=${CONFIGS[$(((run - 1 + k) % n))]}
    set_config "$config"
    for cell in "${CELLS[@]}"; do
      echo "$config $cell $run $(measure "$cell" "$SECONDS_PER_RUN" 1)" >> "$samples"
      ! $PROFILE || echo "$config $cell $run $(perf report -i "$WORK/perf.data" --stdio --sort comm,sym -n \
        --percent-limit 0 2>/dev/null | python3 "$ROOT/Tests/Benchmarks/perf_shares.py")" >> "$WORK/profile"
    done
    case $config in *migfw) ACCEPTS[$config]=$(migfw_accepts) ;; esac
    [ "$config" != ct+migfw ] || [ -s "$WORK/chains" ] ||
      hv_nft list table inet migfw | sed -n '/^\tchain /,/^\t}/p' | grep -v '^\t}' |
        sed 's/^\t//; s/\t/  /g; s/counter packets [0-9]* bytes [0-9]*/counter/' > "$WORK/chains"
    cut -d' ' -f1 /proc/loadavg >> "$WORK/load"
    printf '\rround %d/%d: %-14s' "$run" "$RUNS" "$config" >&2
  done
done
printf '\r%40s\r' '' >&2
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
set_config none

# --- the table -----------------------------------------------------------------------------
results=()
line() { results+=("$1"); echo "$1"; }
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
load_during=$(sort -n "$WORK/load" | awk '{ a[NR] = $1 } END { printf "min %s, median %s, max %s over %d samples", a[1], a[int((NR + 1) / 2)], a[NR], NR }')
if $PROFILE; then
  line "# migfw packet path: where the CPU goes, a kernel profile of each iperf3 run ($(date -u +%Y-%m-%dT%H:%MZ))"
  line "# kernel $(uname -r), $cpu_model, $(nproc) cores, $(iperf3 --version | head -1 | cut -d' ' -f1-2), $(perf --version), migfw $("$MIGFW" --version 2>/dev/null | head -1) ($MIGFW_SOURCE, $(date -u -r "$MIGFW_SOURCE" +%Y-%m-%dT%H:%MZ))"
  line "# $RUNS interleaved round(s), iperf3 -t $SECONDS_PER_RUN -O 1 ${PIN[*]} under perf record -a -F $FREQ (cpu-clock); one TCP stream over veth (GSO/GRO on)"
  line "# load average at start $load_start, at end $load_end; 1-min load at each configuration switch: $load_during"
  line "# shares of the flow's CPU samples (medians over the rounds); see --help for what each part holds"
  line ""
  while IFS= read -r l; do line "$l"; done < <(python3 "$ROOT/Tests/Benchmarks/perf_shares.py" report \
    "$WORK/profile" "$WORK/samples" "${CONFIGS[@]}")
  line ""
  line "# migfw's chains as measured (libvirt policy, dedicated mig0):"
  while read -r l; do line "#   $l"; done < "$WORK/chains"
  line ""
  line "# raw: config cell run flow-samples rules conntrack hooks"
  while read -r l; do line "# $l"; done < "$WORK/profile"
  if ! $QUICK; then
    mkdir -p Tests/Benchmarks/results
    printf '%s\n' "${results[@]}" > Tests/Benchmarks/results/packet-profile.txt
  fi
  exit 0
fi

line "# migfw packet path: TCP throughput through hv's firewall ($(date -u +%Y-%m-%dT%H:%MZ))"
line "# kernel $(uname -r), $cpu_model, $(nproc) cores, $(iperf3 --version | head -1 | cut -d' ' -f1-2), migfw $("$MIGFW" --version 2>/dev/null | head -1) ($MIGFW_SOURCE, $(date -u -r "$MIGFW_SOURCE" +%Y-%m-%dT%H:%MZ))"
line "# $RUNS interleaved round(s), iperf3 -t $SECONDS_PER_RUN -O 1 ${PIN[*]}, one TCP stream over veth (GSO/GRO on);"
line "# load average at start $load_start, at end $load_end; 1-min load at each configuration switch: $load_during"
line "# Gbit/s: median (min-max); vs none: median / median of 'none' on the same path; CPU: medians, % of one core"
line ""
line "| path | config | Gbit/s | min-max | vs none | sender CPU | receiver CPU |"
line "|---|---|---:|---:|---:|---:|---:|"
stats() {  # config cell -> "median min max sender receiver"
  awk -v c="$1" -v p="$2" '$1 == c && $2 == p { print $4, $5, $6 }' "$samples" | python3 -c '
import statistics, sys
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
g = [r[0] for r in rows]
print("%.2f %.2f %.2f %.0f %.0f" % (statistics.median(g), min(g), max(g),
      statistics.median(r[1] for r in rows), statistics.median(r[2] for r in rows)))'
}
for cell in "${CELLS[@]}"; do
  base=""
  for config in "${CONFIGS[@]}"; do
    read -r med lo hi snd rcv <<< "$(stats "$config" "$cell")"
    [ -n "$base" ] || base=$med
    vs=$(awk -v a="$med" -v b="$base" 'BEGIN { printf "%.3f", a / b }')
    line "| ${CELL_LABEL[$cell]} | $config | $med | $lo-$hi | $vs | $snd% | $rcv% |"
  done
done
line ""
line "# packets that reached migfw's set-lookup accept rules (ip/ip6 saddr @trusted tcp dport @tcp_ports),"
line "# over the last round's mig0 IPv4 + IPv6 runs (2 TCP connections each: iperf3 control + data):"
for config in ct+migfw notrack+migfw; do line "#   $config: ${ACCEPTS[$config]:-?}"; done
line "# migfw's chains as measured (libvirt policy, dedicated mig0; sets trusted4/6, tcp_ports, ...):"
while read -r l; do line "#   $l"; done < "$WORK/chains"
line "# notrack = table inet mfwbench_notrack { prerouting, priority raw (-300): iifname mig0 ip saddr $TRUSTED_NET4"
line "#   (ip6 saddr $TRUSTED_NET6) tcp dport $MIG_RANGE notrack; output, priority raw: oifname mig0 ip daddr"
line "#   (ip6 daddr) the same nets, tcp sport $MIG_RANGE notrack } + hostfw"
line ""
line "# raw samples: config cell run Gbit/s sender-CPU% receiver-CPU% retransmits"
while read -r l; do line "# $l"; done < "$samples"

if ! $QUICK; then
  mkdir -p Tests/Benchmarks/results
  printf '%s\n' "${results[@]}" > Tests/Benchmarks/results/packet-path.txt
fi
