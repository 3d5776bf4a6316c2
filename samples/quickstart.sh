#!/usr/bin/env bash
# migfw quick start: its main job, end to end, safely, in throwaway network namespaces.
#
#   bash samples/quickstart.sh
#
# as root, or as a user with sudo (it re-runs itself with sudo, keeping PATH).
# Installs the system packages it needs, builds migfw, builds a testbed (a hypervisor with
# a migration NIC mig0 on a segment of trusted and untrusted peers; Tests/Testbed/testbed.sh),
# shows `migfw plan`, applies a libvirt policy inside the hypervisor namespace, shows a trusted
# peer connecting and an untrusted one dropped, with the drop counters, and removes it all.
# Every migfw and nft command runs with --netns / ip netns exec: the host's own firewall is
# never touched. Exit 0 only if everything went as shown.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../Tests/become-root.sh"
become_root "${BASH_SOURCE[0]}" "$@"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TESTBED_SH="$ROOT/Tests/Testbed/testbed.sh"
PACKAGES=(libnftnl-dev libmnl-dev nftables iproute2 python3 pkg-config)

bold() { if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }
fail() { echo "quickstart: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (network namespaces and nftables need it): sudo bash $0"
if ! command -v swift >/dev/null; then
  # sudo's secure_path usually drops the toolchain's directory.
  [ -z "${SUDO_USER:-}" ] || fail "swift is not in sudo's PATH: sudo env PATH=\"\$PATH\" bash $0"
  fail "swift is not installed (https://www.swift.org/install/linux/)"
fi

bold "System packages"
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
else
  echo "all present: ${PACKAGES[*]}"
fi

bold "Building migfw (swift build --product migfw)"
BUILD_LOG=$(mktemp /tmp/migfw-quickstart-build.XXXXXX)
if ! (cd "$ROOT" && swift build --product migfw >"$BUILD_LOG" 2>&1); then
  tail -n 40 "$BUILD_LOG" >&2
  rm -f "$BUILD_LOG"
  fail "swift build failed"
fi
grep -E '^Build' "$BUILD_LOG" || true
rm -f "$BUILD_LOG"
MIGFW="$ROOT/.build/debug/migfw"
"$MIGFW" --version

WORK=$(mktemp -d /tmp/migfw-quickstart.XXXXXX)
NAME=""
cleanup() {
  local status=$?
  bold "Cleaning up"
  if [ -n "$NAME" ]; then bash "$TESTBED_SH" down "$NAME" && echo "testbed $NAME removed"; fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bold "Testbed (throwaway network namespaces)"
NAME=$(bash "$TESTBED_SH" up --owner $$)
eval "$(bash "$TESTBED_SH" env "$NAME")"
cat <<EOF
testbed $NAME: hypervisor namespace $NS_HV
  mig0  $HV4  $HV6   migration NIC, bridged to the segment
  mgmt0 $MGMT_HV4  $MGMT_HV6        management NIC
  segment peers:
    trusted    $TRUSTED4  $TRUSTED6   inside the trusted network $TRUSTED_NET4
    host       $HOST4  $HOST6   a trusted host address
    untrusted  $UNTRUSTED4  $UNTRUSTED6   trusted by nothing
    excluded   $EXCLUDED4  $EXCLUDED6    the segment's router: inside the network, excluded
EOF
PORTS=(49152 49215 16514)
bash "$TESTBED_SH" listen "$NAME" hv "${PORTS[@]}" 8080

bold "The policy (libvirt profile, dedicated NIC)"
POLICY="$WORK/migfw.yaml"
bash "$TESTBED_SH" policy libvirt > "$POLICY"
cat "$POLICY"
echo
echo "migfw check (two warnings expected: the trusted host sits outside the trusted network on purpose):"
"$MIGFW" check -c "$POLICY"

# migfw keeps its lock and last-applied state in /run by default; the demo keeps them here.
STATE=(--state-dir "$WORK/state" --lock-file "$WORK/lock")

bold "migfw plan (what apply would change; exit 2: changes pending)"
set +e
"$MIGFW" plan -c "$POLICY" --netns "$NS_HV" --state-dir "$WORK/state"
status=$?
set -e
[ "$status" = 2 ] || fail "migfw plan exited $status, expected 2 (changes pending)"

bold "migfw apply --netns $NS_HV (the same changes; its summary line)"
"$MIGFW" apply -c "$POLICY" --netns "$NS_HV" "${STATE[@]}" | tail -n 1

bold "Connections to the migration port 49152 (1 s timeout each)"
probes=()
for peer in trusted host untrusted excluded; do
  v4=${peer^^}4
  probes+=("$peer ${!v4}")
done
failed=0
for probe in "${probes[@]}"; do
  read -r peer address <<<"$probe"
  result=$(bash "$TESTBED_SH" probe "$NAME" "$peer" -t 1 "$HV4,49152" "$HV6,49152" | awk '{print $3}' | sort -u)
  case $peer in trusted|host) want=open verdict=accepted ;; *) want=timeout verdict=dropped ;; esac
  if [ "$result" = "$want" ]; then mark="$verdict"; else mark="UNEXPECTED: $result"; failed=1; fi
  printf '  %-9s %-15s -> mig0:49152 (IPv4 and IPv6)  %-8s %s\n' "$peer" "$address" "$result" "$mark"
done
# QEMU listens on every NIC: the management network is a way in too, closed on the
# migration-only ports (shared ones such as libvirtd's 16514 stay open there).
result=$(bash "$TESTBED_SH" probe "$NAME" mgmt -t 1 "$MGMT_HV4,49152" "$MGMT_HV6,49152" | awk '{print $3}' | sort -u)
if [ "$result" = timeout ]; then mark=dropped; else mark="UNEXPECTED: $result"; failed=1; fi
printf '  %-9s %-15s -> mgmt0:49152 (IPv4 and IPv6) %-8s %s\n' mgmt "$MGMT_PEER4" "$result" "$mark"

bold "migfw status --netns $NS_HV (the drop counter counts the refused attempts)"
"$MIGFW" status --netns "$NS_HV"
drops=$(ip netns exec "$NS_HV" nft list table inet migfw |
  awk '/drop/ && /counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) } END { print n + 0 }')
echo "packets dropped (mig0 and mgmt0): $drops"
[ "$drops" -ge 5 ] || { echo "UNEXPECTED: fewer drops than refused attempts" >&2; failed=1; }

bold "migfw delete --netns $NS_HV: everyone connects again"
"$MIGFW" delete --netns "$NS_HV"
result=$(bash "$TESTBED_SH" probe "$NAME" untrusted -t 1 "$HV4,49152" | awk '{print $3}')
echo "  untrusted -> mig0:49152  $result"
[ "$result" = open ] || failed=1

[ "$failed" = 0 ] || fail "something did not behave as shown above"
bold "Done: on mig0, IPv4 and IPv6, the trusted peer and host reached migration port 49152 and the untrusted and excluded peers did not; on mgmt0 the management peer did not; after migfw delete the untrusted peer did again."
