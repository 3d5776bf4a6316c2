#!/usr/bin/env bash
# The migfw packet testbed: throwaway network namespaces wired like a hypervisor on a
# migration segment. The one implementation behind the Swift packet tests
# (Tests/TestSupport/Testbed.swift) and samples/quickstart.sh.
#
#   testbed.sh up [--owner PID] [--routed] [NAME]
#                                        create a testbed (NAME: mfwt-tb-<random>); prints NAME.
#                                        --routed: the hypervisor sits behind a router (gw)
#                                        With an owner (a test run, the quick start), `gc`
#                                        removes the testbed once that process is gone
#   testbed.sh down NAME                 kill its processes, delete its namespaces (idempotent)
#   testbed.sh env NAME                  the address plan, KEY=VALUE lines
#   testbed.sh ns NAME NODE              the namespace of NODE
#   testbed.sh exec NAME NODE CMD...     run CMD inside NODE
#   testbed.sh listen NAME NODE PORT...  TCP listeners (IPv4+IPv6) in NODE; returns once bound
#   testbed.sh probe NAME NODE [-t S] ADDR,PORT...
#                                        connect from NODE to every target at once, bounded by
#                                        S seconds (default 1); prints "ADDR PORT RESULT" lines
#   testbed.sh relay NAME NODE PORT ADDR,PORT
#                                        a forwarder in NODE (as `ssh -L` would be): each client
#                                        gets "relayed" or "failed" after NODE connects to ADDR,PORT
#   testbed.sh relayed NAME NODE ADDR,PORT
#                                        ask the relay at ADDR,PORT from NODE; prints the answer
#   testbed.sh linklocal NAME NODE DEV   NODE's IPv6 link-local address on DEV, once usable
#   testbed.sh policy PROFILE [--shared] [--egress] [--performance OPTION] [--gateway routed|bridge]
#                                        a migfw policy trusting this plan's trusted peers;
#                                        --gateway: a gateway-mode policy protecting hv, for
#                                        the gw namespace (routed) or the seg bridge (bridge)
#   testbed.sh gc                        remove testbeds whose owner has died (a killed test
#                                        run cannot clean up after itself); `up` runs it too
#
# Topology (every link is a veth; nothing is created in the caller's namespace):
#
#   NAME-mgmt (management peer) ── mgmt0 ┐
#                                        NAME-hv (hypervisor: listeners, migfw's table)
#                                  mig0 ─┘
#                                    │
#   NAME-seg: bridge br0 ── trusted, host, untrusted, excluded (one namespace each)
#
# --routed (gateway mode, the seed's development -> production migration): hv's mig0 is
# on a production segment of its own, cabled to the router namespace NAME-gw (prod0); the
# router's dev0 is a port of br0, the development segment, where the peers are and route
# through it. Without --routed, the bridge in NAME-seg is the bridged gateway's place.
#
# Nodes: hv, mgmt, seg, gw (routed only), trusted (inside the trusted network), host (a trusted host address),
# untrusted, excluded (inside the trusted network but excluded: the segment's router).
# Run as root. Only mfwt-* namespaces are ever touched.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TCP="$HERE/tcp.py"
PEERS=(trusted host untrusted excluded)
NODES=(hv mgmt seg gw "${PEERS[@]}")

# The address plan. The segment is one /16 (IPv4) and one /32 (IPv6) so every peer is on-link;
# the policy trusts a /24 (/64) of it and one host address, and excludes the router.
declare -A V4=([hv]=192.168.10.10 [trusted]=192.168.10.20 [host]=192.168.20.11
               [untrusted]=192.168.30.30 [excluded]=192.168.10.1)
declare -A V6=([hv]=2001:db8:10::10 [trusted]=2001:db8:10::20 [host]=2001:db8:20::11
               [untrusted]=2001:db8:30::30 [excluded]=2001:db8:10::1)
SEG4_LEN=16 SEG6_LEN=32
TRUSTED_NET4=192.168.10.0/24 TRUSTED_NET6=2001:db8:10::/64
MGMT_HV4=172.16.0.10 MGMT_PEER4=172.16.0.20 MGMT4_LEN=24
MGMT_HV6=fd00:16::10 MGMT_PEER6=fd00:16::20 MGMT6_LEN=64
# The routed plan: the production segment behind the router, and the router on the segment.
ROUTED_HV4=10.20.0.10 ROUTED_GW4=10.20.0.1 PROD4_LEN=24
ROUTED_HV6=fd00:20::10 ROUTED_GW6=fd00:20::1 PROD6_LEN=64
DEV_GW4=192.168.99.1 DEV_GW6=2001:db8:99::1

# The owner of each testbed made with `up --owner` (its pid and start time), for `gc`.
OWNERS=/run/mfwt-testbed

die() { echo "testbed: $*" >&2; exit 2; }

check_name() {
  [[ "${1:-}" =~ ^mfwt-[A-Za-z0-9-]{1,40}$ ]] || die "testbed names start with mfwt- (got '${1:-}')"
}

ns_of() {
  local name=$1 node=$2
  [[ " ${NODES[*]} " == *" $node "* ]] || die "unknown node '$node' (one of: ${NODES[*]})"
  echo "$name-$node"
}

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

cmd_down() {
  local name=$1 node ns pids
  check_name "$name"
  for node in "${NODES[@]}"; do
    ns="$name-$node"
    [ -e "/run/netns/$ns" ] || continue
    # Processes keep a namespace alive after `ip netns del`: end ours (listeners) first.
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    if [ -n "$pids" ]; then
      # shellcheck disable=SC2086
      kill -9 $pids 2>/dev/null || true
    fi
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -f "$OWNERS/$name" "$OWNERS/.$name"
}

# "PID STARTTIME" of a live process; the start time tells a reused pid from the original.
process_identity() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  # Field 22 (start time), counted after the ")" that ends the command name.
  echo "$1 $(echo "${stat##*) }" | cut -d' ' -f20)"
}

cmd_gc() {
  local file name owner pid
  [ -d "$OWNERS" ] || return 0
  for file in "$OWNERS"/mfwt-*; do
    [ -e "$file" ] || continue
    name=${file##*/}
    owner=$(cat "$file" 2>/dev/null) || continue
    [ -n "$owner" ] || continue
    pid=${owner%% *}
    if [ "$(process_identity "$pid" || true)" != "$owner" ]; then
      echo "testbed: removing $name (its owner, pid $pid, is gone)" >&2
      cmd_down "$name"
    fi
  done
}

# Adds a veth pair between two namespaces: END1 in NS1, END2 in NS2.
veth() { ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"; }

address() {
  local ns=$1 dev=$2 v4=$3 v6=$4
  ip -n "$ns" addr add "$v4" dev "$dev"
  # nodad: usable at once, no wait for duplicate address detection.
  ip -n "$ns" addr add "$v6" dev "$dev" nodad
  ip -n "$ns" link set "$dev" up
}

cmd_up() {
  local owner=""
  if [ "${1:-}" = --owner ]; then
    [[ "${2:-}" =~ ^[0-9]+$ ]] || die "up --owner PID"
    owner=$(process_identity "$2") || die "up --owner $2: no such process"
    shift 2
  fi
  local routed=false
  if [ "${1:-}" = --routed ]; then routed=true; shift; fi
  local name=${1:-mfwt-tb-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')}
  check_name "$name"
  cmd_gc
  local node
  for node in "${NODES[@]}"; do
    [ ! -e "/run/netns/$name-$node" ] || die "namespace $name-$node exists already"
  done
  if [ -n "$owner" ]; then
    mkdir -p "$OWNERS"
    # Written whole, then renamed: a concurrent gc must never read a half-written owner.
    echo "$owner" > "$OWNERS/.$name"
    mv "$OWNERS/.$name" "$OWNERS/$name"
  fi
  # A half-built testbed is torn down before the error is reported. EXIT, not ERR: set -e
  # may end the script inside a helper function, where an ERR trap is not inherited.
  BUILDING=$name  # global: the trap runs after this function's locals are gone
  trap 'cmd_down "$BUILDING"' EXIT
  for node in "${NODES[@]}"; do
    [ "$node" != gw ] || $routed || continue
    ip netns add "$name-$node"
    ip -n "$name-$node" link set lo up
  done
  local seg="$name-seg" hv="$name-hv" mgmt="$name-mgmt"
  ip -n "$seg" link add br0 type bridge
  # Multicast snooping could hold back IPv6 neighbour discovery on a fresh bridge.
  ip -n "$seg" link set br0 type bridge mcast_snooping 0
  ip -n "$seg" link set br0 up

  if $routed; then
    local gw="$name-gw"
    veth "$hv" mig0 "$gw" prod0
    address "$hv" mig0 "$ROUTED_HV4/$PROD4_LEN" "$ROUTED_HV6/$PROD6_LEN"
    address "$gw" prod0 "$ROUTED_GW4/$PROD4_LEN" "$ROUTED_GW6/$PROD6_LEN"
    veth "$gw" dev0 "$seg" gw
    address "$gw" dev0 "$DEV_GW4/$SEG4_LEN" "$DEV_GW6/$SEG6_LEN"
    ip -n "$seg" link set gw master br0 up
    ip netns exec "$gw" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    ip -n "$hv" route add default via "$ROUTED_GW4"
    ip -n "$hv" -6 route add default via "$ROUTED_GW6"
  else
    veth "$hv" mig0 "$seg" hv
    address "$hv" mig0 "${V4[hv]}/$SEG4_LEN" "${V6[hv]}/$SEG6_LEN"
    ip -n "$seg" link set hv master br0 up
  fi
  # The protected host's own outgoing migrations (the egress cases) get their replies on its
  # ephemeral ports: keep those below every migration range too, as the peers' below.
  ip netns exec "$hv" sysctl -qw net.ipv4.ip_local_port_range="32768 48999"
  for node in "${PEERS[@]}"; do
    veth "$name-$node" eth0 "$seg" "$node"
    address "$name-$node" eth0 "${V4[$node]}/$SEG4_LEN" "${V6[$node]}/$SEG6_LEN"
    ip -n "$seg" link set "$node" master br0 up
    # Ephemeral ports below every profile's range: a bridged gateway is stateless, so a
    # reply to a peer's ephemeral port inside a migration range (libvirt 49152-49215, proxmox
    # 60000-60050) would meet the egress rule (docs/gateway-mode.md: limits).
    ip netns exec "$name-$node" sysctl -qw net.ipv4.ip_local_port_range="32768 48999"
    if $routed; then
      ip -n "$name-$node" route add default via "$DEV_GW4"
      ip -n "$name-$node" -6 route add default via "$DEV_GW6"
    fi
  done

  veth "$hv" mgmt0 "$mgmt" eth0
  address "$hv" mgmt0 "$MGMT_HV4/$MGMT4_LEN" "$MGMT_HV6/$MGMT6_LEN"
  address "$mgmt" eth0 "$MGMT_PEER4/$MGMT4_LEN" "$MGMT_PEER6/$MGMT6_LEN"
  trap - EXIT
  echo "$name"
}

cmd_env() {
  local name=$1 node
  check_name "$name"
  echo "TESTBED=$name"
  if [ -e "/run/netns/$name-gw" ]; then
    echo "ROUTED=1"
    V4[hv]=$ROUTED_HV4 V6[hv]=$ROUTED_HV6
    echo "GW4=$DEV_GW4"
    echo "GW6=$DEV_GW6"
  fi
  for node in "${NODES[@]}"; do echo "NS_${node^^}=$name-$node"; done
  for node in hv "${PEERS[@]}"; do
    echo "${node^^}4=${V4[$node]}"
    echo "${node^^}6=${V6[$node]}"
  done
  echo "MGMT_HV4=$MGMT_HV4"
  echo "MGMT_HV6=$MGMT_HV6"
  echo "MGMT_PEER4=$MGMT_PEER4"
  echo "MGMT_PEER6=$MGMT_PEER6"
  echo "TRUSTED_NET4=$TRUSTED_NET4"
  echo "TRUSTED_NET6=$TRUSTED_NET6"
}

# Ports for the custom profile, which brings no ports of its own.
CUSTOM_PORTS='["7000-7010", "7777"]'

cmd_policy() {
  local profile=${1:-} dedicated=true egress=false ports='[]' auth performance="" gateway=""
  [ -n "$profile" ] || die "policy PROFILE [--shared] [--egress] [--performance OPTION]"
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --shared) dedicated=false ;;
      --egress) egress=true ;;
      --performance) [ $# -ge 2 ] || die "--performance OPTION"; performance="performance: $2"$'\n'; shift ;;
      --gateway) [[ "${2:-}" =~ ^(routed|bridge)$ ]] || die "--gateway routed|bridge"; gateway=$2; shift ;;
      *) die "policy: unknown option $1" ;;
    esac
    shift
  done
  case $profile in
    hyperv) auth=kerberos ;;
    proxmox) auth=ssh ;;
    custom) auth=tls ports=$CUSTOM_PORTS ;;
    *) auth=tls ;;
  esac
  local interface=mig0 mode=""
  if [ -n "$gateway" ]; then
    # A gateway filters migration ports only: `dedicated` has no meaning there.
    dedicated=false
    local hv4=${V4[hv]} hv6=${V6[hv]}
    interface=br0
    if [ "$gateway" = routed ]; then interface=prod0 hv4=$ROUTED_HV4 hv6=$ROUTED_HV6; fi
    # The bridge's port toward hv (the veth end named hv in NAME-seg): every address hv
    # has behind it is guarded, link-local included. A routed gateway guards prod0 itself.
    local side=""
    [ "$gateway" = bridge ] && side=", protected_side: [hv]"
    mode="mode: gateway
gateway: { via: $gateway$side }
protected:
  hosts: [$hv4, \"$hv6\"]
"
  fi
  cat <<EOF
# migfw policy for the packet testbed (Tests/Testbed/testbed.sh): profile $profile.
version: 1
${mode}interface: $interface
profile: $profile
${performance}ports: $ports
dedicated: $dedicated
egress: $egress
authentication: $auth
trusted:
  networks: [$TRUSTED_NET4, "$TRUSTED_NET6"]
  hosts:
    - { name: hv-b, address: ${V4[host]} }
    - { name: hv-b6, address: "${V6[host]}" }
exclude: [${V4[excluded]}, "${V6[excluded]}"]   # the segment's router
log: { drops: false, rate: 10/second }
EOF
}

cmd_listen() {
  local name=$1 node=$2; shift 2
  [ $# -gt 0 ] || die "listen NAME NODE PORT..."
  in_ns "$(ns_of "$name" "$node")" python3 "$TCP" listen "$@"
}

cmd_probe() {
  local name=$1 node=$2; shift 2
  in_ns "$(ns_of "$name" "$node")" python3 "$TCP" probe "$@"
}

cmd_linklocal() {
  local ns address tries
  ns=$(ns_of "$1" "$2")
  for tries in $(seq 50); do
    # Usable once duplicate address detection is over (no "tentative" flag).
    address=$(ip -n "$ns" -6 addr show dev "$3" scope link | awk '/inet6/ && !/tentative/ {print $2; exit}')
    if [ -n "$address" ]; then echo "${address%/*}"; return 0; fi
    sleep 0.1
  done
  die "no usable link-local address on $2's $3"
}

main() {
  local command=${1:-}
  shift || true
  case $command in
    up) cmd_up "$@" ;;
    down) [ $# -eq 1 ] || die "down NAME"; cmd_down "$1" ;;
    env) [ $# -eq 1 ] || die "env NAME"; cmd_env "$1" ;;
    ns) [ $# -eq 2 ] || die "ns NAME NODE"; check_name "$1"; ns_of "$1" "$2" ;;
    exec) [ $# -ge 3 ] || die "exec NAME NODE CMD..."
          check_name "$1"; local ns; ns=$(ns_of "$1" "$2"); shift 2; in_ns "$ns" "$@" ;;
    listen) [ $# -ge 3 ] || die "listen NAME NODE PORT..."; check_name "$1"; cmd_listen "$@" ;;
    probe) [ $# -ge 3 ] || die "probe NAME NODE [-t S] ADDR,PORT..."; check_name "$1"; cmd_probe "$@" ;;
    relay) [ $# -eq 4 ] || die "relay NAME NODE PORT ADDR,PORT"; check_name "$1"
           in_ns "$(ns_of "$1" "$2")" python3 "$TCP" relay "$3" "$4" ;;
    relayed) [ $# -eq 3 ] || die "relayed NAME NODE ADDR,PORT"; check_name "$1"
             in_ns "$(ns_of "$1" "$2")" python3 "$TCP" relayed "$3" ;;
    linklocal) [ $# -eq 3 ] || die "linklocal NAME NODE DEV"; check_name "$1"; cmd_linklocal "$@" ;;
    policy) cmd_policy "$@" ;;
    gc) cmd_gc ;;
    *) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
}

main "$@"
