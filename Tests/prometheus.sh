#!/usr/bin/env bash
# The alerting rules (templates/prometheus) against promtool and against a real metrics file:
#   1. promtool check rules, promtool test rules (series shaped like migfw's metrics);
#   2. as root: migfw apply + reconcile --audit --metrics-file in a throwaway network
#      namespace; promtool check metrics on the file, and every metric the rules read must
#      be in it (a renamed metric would leave a rule that never fires).
# Needs promtool (Debian package prometheus). Run by Tests/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
migfw=${MIGFW_BIN:-.build/debug/migfw}
rules=templates/prometheus/migfw-alerts.yml
command -v promtool >/dev/null || { echo "prometheus.sh: promtool is missing (apt-get install prometheus)" >&2; exit 1; }
promtool check rules "$rules"
(cd templates/prometheus && promtool test rules migfw-alerts.test.yml)

if [ "$(id -u)" != 0 ]; then
  echo "WARNING: prometheus.sh: the real metrics file check SKIPPED: it needs root (a network namespace)" >&2
  [ "${MIGFW_REQUIRE_KERNEL_TESTS:-}" = 1 ] && exit 1
  exit 0
fi
ns=mfwt-prom-$$
work=$(mktemp -d /tmp/mfwt-prom.XXXXXX)
chmod 700 "$work"
trap 'ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"' EXIT
ip netns add "$ns"
ip -n "$ns" link add mig0 type veth peer name mig0p
mkdir -p "$work/root/etc/libvirt"
printf 'migrate_tls_force = 1\nmigrate_tls_x509_verify = 0\n' > "$work/root/etc/libvirt/qemu.conf"
common=(-c samples/libvirt.yaml --netns "$ns" --state-dir "$work/state" --lock-file "$work/lock")
"$migfw" apply "${common[@]}" > /dev/null
MIGFW_LOG=stderr "$migfw" reconcile "${common[@]}" --metrics-file "$work/migfw.prom" --audit --audit-root "$work/root" 2> "$work/reconcile.log"
promtool check metrics < "$work/migfw.prom"
missing=0
for metric in $(grep -oE 'migfw_[a-z_]+' "$rules" | sort -u); do
  grep -q "^$metric[{ ]" "$work/migfw.prom" || { echo "prometheus.sh: the rules read $metric, which migfw does not write" >&2; missing=1; }
done
[ "$missing" = 0 ]
grep -q '^migfw_audit_findings{severity="error"} 1$' "$work/migfw.prom" ||
  { echo "prometheus.sh: the metrics file lacks the audit's error:" >&2; cat "$work/migfw.prom" "$work/reconcile.log" >&2; exit 1; }
echo "prometheus.sh: ok ($(grep -c '^ *- alert:' "$rules") alerting rules, tests pass, a real metrics file passes promtool check metrics)"
