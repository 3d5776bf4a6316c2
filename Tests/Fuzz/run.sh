#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Tests/Fuzz/*, with address sanitizer) and runs each for a
# bounded time on a seed corpus made from the repository's samples, profiles, test corpus
# and captured kernel dumps. Fails on any crash, failed check, leak, timeout or OOM, and
# prints each fuzzer's executions per second.
#
#   bash Tests/Fuzz/run.sh                      # every fuzzer, 60 s each
#   MIGFW_FUZZ_SECONDS=3600 bash Tests/Fuzz/run.sh FuzzPolicyDecoder
#
# Findings (inputs that crashed) are written to .build-fuzz/artifacts/FUZZER/; the corpus grown by
# a run stays in .build-fuzz/corpus/ and is reused by the next one.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${MIGFW_FUZZ_SECONDS:-60}"
# Swift's own crash backtracer and address sanitizer deadlock on a failed check: the fuzzer
# then hangs instead of failing. libFuzzer and ASan report crashes themselves.
export SWIFT_BACKTRACE=enable=no
scratch=.build-fuzz
fuzzers=("$@")
[ ${#fuzzers[@]} -gt 0 ] || fuzzers=(FuzzPrefixParser FuzzPrefixListReader FuzzPolicyDecoder FuzzTableDump FuzzAuditConfig)

# Largest input each fuzzer may make: one prefix, a list, a policy file, a table dump.
declare -A max_len=([FuzzPrefixParser]=128 [FuzzPrefixListReader]=4096
                    [FuzzPolicyDecoder]=8192 [FuzzTableDump]=65536 [FuzzAuditConfig]=8192)

build_start=$(date +%s)
for fuzzer in "${fuzzers[@]}"; do
  # --sanitize=fuzzer lets SwiftPM link libFuzzer's main; -sanitize=fuzzer in swiftc adds the
  # coverage instrumentation the fuzzer is guided by (SwiftPM alone leaves it out).
  mkdir -p "$scratch"
  if ! MIGFW_FUZZ=1 swift build --scratch-path "$scratch" --sanitize=fuzzer --sanitize=address \
      -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product "$fuzzer" > "$scratch/build.log" 2>&1; then
    # gold's "Cannot export local symbol '__asan_...'" warnings are noise of every ASan link.
    grep -v "warning: Cannot export local symbol" "$scratch/build.log" | tail -40 >&2
    echo "fuzz build of $fuzzer failed" >&2
    exit 1
  fi
done
echo "fuzz build: $(( $(date +%s) - build_start )) s"

# Seeds, rebuilt on every run from what is in the repository.
seeds="$scratch/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"/{FuzzPrefixParser,FuzzPrefixListReader,FuzzPolicyDecoder,FuzzTableDump,FuzzAuditConfig}
prefix_lists=(samples/trusted.d/*)
count=0
# Parser: every address-like string literal of the Prefix tests, and every line of the lists.
{ grep -ohE '"[0-9A-Fa-f:./%]{2,60}"' Tests/PrefixTests/*.swift | tr -d '"'
  cat "${prefix_lists[@]}" | sed 's/#.*//' | tr -d ' \t\r'
} | sort -u | while IFS= read -r token; do
  [ -n "$token" ] && printf '%s' "$token" > "$seeds/FuzzPrefixParser/$(printf '%s' "$token" | md5sum | cut -c1-16)"
done
# Reader: the prefix lists, and the parser's tokens as one list.
cp "${prefix_lists[@]}" "$seeds/FuzzPrefixListReader/"
for file in "$seeds"/FuzzPrefixParser/*; do cat "$file"; echo; done | head -c 4000 > "$seeds/FuzzPrefixListReader/tokens"
# Policy decoder: the samples, the profiles and the loader's test corpus.
for file in samples/*.yaml templates/profiles/*.yaml Tests/PolicyTests/Corpus/*.yaml; do
  count=$((count + 1))
  cp "$file" "$seeds/FuzzPolicyDecoder/$count-$(basename "$file")"
done
# Table dump decoder: raw reply bytes of `readTable` captured from real migfw tables, and
# from a table of other tools' constructs (Seeds/ForeignDump, what status reads elsewhere).
# Inputs that once crashed a fuzzer (Tests/Fuzz/Regressions/TARGET-*) are seeds too.
cp Tests/Fuzz/Seeds/TableDump/* Tests/Fuzz/Seeds/ForeignDump/*.dump Tests/Fuzz/Regressions/TableDump-* "$seeds/FuzzTableDump/"

# Audit: the audit corpus's files, each behind the byte that sends it to its path (the
# fuzzer's target list order), and Debian's qemu.conf when the audit tests fetched it.
audit_seed() { { printf "\\x$(printf %02x "$1")"; cat "$2"; } > "$seeds/FuzzAuditConfig/$1-$(basename "$2")"; }
for file in Tests/AuditTests/Corpus/*; do
  [ -f "$file" ] || continue
  case "$(sed -n 's/^# audit-path: //p' "$file")" in
    /etc/libvirt/qemu.conf) audit_seed 0 "$file" ;; /etc/libvirt/libvirtd.conf) audit_seed 1 "$file" ;;
    /etc/libvirt/virtproxyd.conf) audit_seed 2 "$file" ;; /etc/pve/datacenter.cfg) audit_seed 4 "$file" ;;
    /etc/pve/corosync.conf|/etc/corosync/corosync.conf) audit_seed 5 "$file" ;; /etc/pve/firewall/cluster.fw) audit_seed 6 "$file" ;;
    /etc/xapi.conf|/etc/xapi.conf.d/*) audit_seed 8 "$file" ;; /etc/xen/xend-config.sxp) audit_seed 9 "$file" ;;
  esac
done
debian_qemu="${TMPDIR:-/tmp}/migfw-debian-libvirt/root/etc/libvirt/qemu.conf"
[ -f "$debian_qemu" ] && [ "$(stat -c %s "$debian_qemu")" -lt 8192 ] && audit_seed 0 "$debian_qemu"

# Every fuzzer runs in plain mode: a crash, a failed check or an exit of the process (the
# dump decoder no longer hands messages to libnftnl, whose parsers ended the process on some
# malformed attributes) fails the run, and every input that did is replayed below.

status=0
for fuzzer in "${fuzzers[@]}"; do
  corpus="$scratch/corpus/$fuzzer"
  artifacts="$scratch/artifacts/$fuzzer"
  rm -rf "$artifacts"
  mkdir -p "$corpus" "$artifacts"
  log="$scratch/$fuzzer.log"
  options=(-max_total_time="$seconds" -max_len="${max_len[$fuzzer]}" -timeout=10 -rss_limit_mb=2048
           -print_final_stats=1 -artifact_prefix="$artifacts/")
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: one input may not use 2 GiB.
  # Leak detection is on (libFuzzer's default under address sanitizer).
  start=$(date +%s)
  if "$scratch/debug/$fuzzer" "$corpus" "$seeds/$fuzzer" "${options[@]}" > "$log" 2>&1; then
    result=ok
  else
    result=FAILED
    grep -E -A40 "ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|Fatal error" "$log" | head -80 >&2 || tail -40 "$log" >&2
  fi
  elapsed=$(( $(date +%s) - start ))
  for artifact in "$artifacts"/*; do
    [ -e "$artifact" ] || continue
    replay=$("$scratch/debug/$fuzzer" "$artifact" 2>&1 || true)
    result=FAILED
    echo "fuzz $fuzzer: failing input $artifact:" >&2
    grep -E -A30 "ERROR|Fatal error|exited" <<< "$replay" | head -40 >&2 || true
  done
  [ "$result" = ok ] || status=1
  # libFuzzer's final stats, or its last status line.
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  [ -n "$runs" ] || runs=$( (grep -oE '^#[0-9]+' "$log" || true) | tail -1 | tr -d '#')
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  [ -n "$rate" ] || rate=$(( ${runs:-0} / (elapsed > 0 ? elapsed : 1) ))
  coverage=$( (grep -oE 'cov: [0-9]+' "$log" || true) | tail -1)
  echo "fuzz $fuzzer: $result, ${runs:-?} runs in ${elapsed} s, ${rate:-?} exec/s, ${coverage:-cov: ?}"
done
exit "$status"
