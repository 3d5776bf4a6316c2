#!/usr/bin/env bash
# A real QEMU live migration between two nodes of the packet testbed (testbed.sh): evidence
# that migfw's firewall stops, or lets through, what a hypervisor actually sends.
#
#   qemu-migrate.sh [-v] NAME SRC_NODE DEST_NODE DEST_ADDR PORT [-t SECONDS]
#
#   NAME       a testbed (mfwt-...), as `testbed.sh up` printed it
#   SRC_NODE   the node the VM leaves (trusted, untrusted, mgmt, ...)
#   DEST_NODE  the node the VM goes to (usually hv)
#   DEST_ADDR  the address the source connects to (IPv6 with or without brackets)
#   PORT       the migration port
#   -t S       give up S seconds after the migration began (default 10): it is cancelled
#   -v         timings and QEMU's states on stderr
#
# The destination QEMU (inside DEST_NODE) listens with `migrate-incoming tcp:[::]:PORT`:
# every address and NIC, IPv4 and IPv6 on one socket, as QEMU does by default; the source
# QEMU (inside SRC_NODE, same machine, paused, no disk) migrates to tcp:DEST_ADDR:PORT.
#
# The source's RAM carries a random 64-bit marker (written at reset by a generic loader
# device, which has no migration state of its own); the destination starts with zeros.
#
# Prints exactly one line:
#   completed         the source reports the migration completed, the destination's incoming
#                     migration completed, it left the "inmigrate" state and its RAM holds
#                     the marker: the VM arrived; exit 0
#   failed: REASON    the migration failed (QEMU's error), or did not arrive; exit 1
#   timeout           nothing finished within S seconds (a dropped SYN: connect hangs); exit 1
# Usage and setup errors (no QEMU, no such testbed, QEMU would not start) exit 2, with a
# message on stderr and nothing on stdout.
#
# Both QEMUs are killed and their private temporary directory removed on every way out.
# Only mfwt-* namespaces are touched (testbed.sh checks the name). Run as root.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTBED="$HERE/testbed.sh"
QEMU=${QEMU:-qemu-system-x86_64}
# The VM: never run (-S), no disk, no NIC, no display. Its memory is what travels; 32 MiB
# of zero pages takes well under a second on TCG.
MACHINE=(-machine pc -accel tcg -m 32 -nodefaults -no-user-config -display none -S)

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}
setup_error() { echo "qemu-migrate: $*" >&2; exit 2; }

verbose=false timeout=10
positional=()
while [ $# -gt 0 ]; do
  case $1 in
    -t) [ $# -ge 2 ] || usage; timeout=$2; shift 2 ;;
    -v) verbose=true; shift ;;
    -h|--help) usage ;;
    -*) echo "qemu-migrate: unknown option $1" >&2; usage ;;
    *) positional+=("$1"); shift ;;
  esac
done
[ ${#positional[@]} -eq 5 ] || usage
name=${positional[0]} src_node=${positional[1]} dest_node=${positional[2]}
dest_addr=${positional[3]} port=${positional[4]}
[[ "$timeout" =~ ^[0-9]+(\.[0-9]+)?$ ]] && [ "$timeout" != 0 ] || setup_error "-t: a number of seconds (got '$timeout')"
[[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || setup_error "PORT: 1-65535 (got '$port')"
dest_addr=${dest_addr#[}
dest_addr=${dest_addr%]}
[[ "$dest_addr" =~ ^[0-9A-Fa-f.:]+$ ]] || setup_error "DEST_ADDR: an IPv4 or IPv6 address (got '$dest_addr')"
if [[ "$dest_addr" == *:* ]]; then target="tcp:[$dest_addr]:$port"; else target="tcp:$dest_addr:$port"; fi

# testbed.sh checks the name (mfwt-...) and the node, and exits 2 itself when they are wrong.
src_ns=$(bash "$TESTBED" ns "$name" "$src_node")
dest_ns=$(bash "$TESTBED" ns "$name" "$dest_node")
for ns in "$src_ns" "$dest_ns"; do
  [ -e "/run/netns/$ns" ] || setup_error "no namespace $ns (is testbed $name up?)"
done
command -v "$QEMU" >/dev/null || setup_error "$QEMU not found (apt-get install -y qemu-system-x86)"
# The system's Python when there is one: a version manager's shim costs a fraction of a
# second per call, and qmp.py needs nothing but the standard library.
PYTHON=$(command -v /usr/bin/python3 || command -v python3) || setup_error "python3 not found"
[ "$(id -u)" = 0 ] || setup_error "run as root (ip netns exec)"

# Where the marker goes in guest RAM (1 MiB: plain RAM above the BIOS area).
MARKER_ADDR=0x100000
marker=0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')

dir=$(mktemp -d "${TMPDIR:-/tmp}/mfwt-qemu-migrate.XXXXXX")
dest_pid="" src_pid="" helper_pid=""

# Ends a QEMU we started: SIGTERM, a moment to go, then SIGKILL.
stop() {
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for i in 1 2 3 4 5 6 7 8 9 10; do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop "$helper_pid"
  stop "$src_pid"
  stop "$dest_pid"
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 2' INT TERM HUP

# The QMP client: JSON lines over the unix socket, standard library only.
cat > "$dir/qmp.py" <<'PYTHON'
import json, os, socket, sys, time


class QMP:
    def __init__(self, path, pid, deadline):
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                try:
                    os.kill(pid, 0)
                except OSError:
                    raise SystemExit("QEMU (pid %d) exited before its QMP socket answered" % pid)
                if time.monotonic() > deadline:
                    raise SystemExit("no QMP socket at %s" % path)
                time.sleep(0.02)
        self.file = self.sock.makefile("rw")
        greeting = self.read()
        if "QMP" not in greeting:
            raise SystemExit("not a QMP greeting: %r" % greeting)
        self.call("qmp_capabilities")

    def read(self):
        while True:
            line = self.file.readline()
            if not line:
                raise SystemExit("QEMU closed the QMP connection")
            message = json.loads(line)
            if "event" not in message:  # events (MIGRATION, STOP, ...) are not answers
                return message

    def execute(self, command, **arguments):
        message = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        self.file.write(json.dumps(message) + "\n")
        self.file.flush()
        return self.read()

    def call(self, command, **arguments):
        answer = self.execute(command, **arguments)
        if "error" in answer:
            raise QMPError(command, answer["error"].get("desc", str(answer["error"])))
        return answer["return"]


def peek(qmp, address):
    """The 64-bit word at guest-physical `address` (HMP xp: "ADDR: 0xVALUE")."""
    text = qmp.call("human-monitor-command", **{"command-line": "xp /1gx " + address})
    try:
        return int(text.split(":", 1)[1].split()[0], 16)
    except (IndexError, ValueError):
        raise SystemExit("cannot read guest memory: %r" % text)


class QMPError(Exception):
    def __init__(self, command, desc):
        super().__init__("%s: %s" % (command, desc))
        self.desc = desc


def main():
    action, path, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
    verbose = os.environ.get("QMP_VERBOSE") == "1"
    start = time.monotonic()
    qmp = QMP(path, pid, start + 10)
    if action == "incoming":
        qmp.call("migrate-incoming", uri=sys.argv[4])
        return 0
    if action == "migrate":
        uri, timeout, address, marker = sys.argv[4], float(sys.argv[5]), sys.argv[6], int(sys.argv[7], 16)
        if peek(qmp, address) != marker:
            raise SystemExit("the source VM's RAM does not hold the marker at " + address)
        # The bound starts with the migration, not with QEMU's start (slow on a busy host).
        start = time.monotonic()
        deadline = start + timeout
        try:
            qmp.call("migrate", uri=uri)
        except QMPError as error:
            print("failed: " + error.desc)
            return 1
        status, info = "setup", {}
        while time.monotonic() < deadline:
            info = qmp.call("query-migrate")
            status = info.get("status", "none")
            if status in ("completed", "failed", "cancelled"):
                break
            time.sleep(0.02)
        elapsed = time.monotonic() - start
        if verbose:
            print("qemu-migrate: source %s after %.2f s (%s)" % (status, elapsed, json.dumps(info.get("ram", {}))),
                  file=sys.stderr)
        if status == "completed":
            print("completed")
            return 0
        if status == "failed":
            print("failed: " + info.get("error-desc", "migration failed"))
            return 1
        if status == "cancelled":
            print("failed: cancelled")
            return 1
        # Still connecting (a dropped SYN) or still sending: give up.
        try:
            qmp.call("migrate_cancel")
        except QMPError:
            pass
        print("timeout")
        return 1
    if action == "arrived":
        # The source may report completed a moment before the destination has loaded it all.
        deadline, address, marker = start + float(sys.argv[4]), sys.argv[5], int(sys.argv[6], 16)
        status = "unknown"
        while True:
            status = qmp.call("query-status")["status"]
            if status != "inmigrate" or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        incoming = qmp.call("query-migrate").get("status", "none")
        found = peek(qmp, address)
        if verbose:
            print("qemu-migrate: destination %s, incoming migration %s, marker %s, after %.2f s"
                  % (status, incoming, "found" if found == marker else "missing", time.monotonic() - start),
                  file=sys.stderr)
        # The destination takes the source's run state: "prelaunch" for a VM that never ran
        # (-S), "paused" for one that was stopped; never still "inmigrate".
        if status == "inmigrate" or incoming != "completed":
            print("failed: the source completed, the destination is %s (incoming migration %s)" % (status, incoming))
            return 1
        if found != marker:
            print("failed: the destination's RAM lacks the source's marker (%#x, expected %#x)" % (found, marker))
            return 1
        print("arrived")
        return 0
    raise SystemExit("unknown action " + action)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except QMPError as error:
        raise SystemExit(str(error))
    except (OSError, ValueError) as error:  # QEMU gone, a garbled answer
        raise SystemExit("QMP %s: %s" % (sys.argv[1], error))
PYTHON

$verbose && export QMP_VERBOSE=1
qmp() { "$PYTHON" "$dir/qmp.py" "$@"; }
# $! is QEMU itself: `ip netns exec` enters the namespace and execs it.
start_qemu() {
  local ns=$1 role=$2; shift 2
  ip netns exec "$ns" "$QEMU" "${MACHINE[@]}" -name "mfwt-$role" \
    -qmp "unix:$dir/$role.qmp,server=on,wait=off" "$@" </dev/null >"$dir/$role.log" 2>&1 &
}
qemu_failed() {
  local role=$1 message=$2
  setup_error "$message${3:+: $3}$(sed 's/^/\n  '"$role"' QEMU: /' "$dir/$role.log" 2>/dev/null || true)"
}

started=$EPOCHREALTIME
# Both start at once; the source is told to migrate only once the destination listens.
start_qemu "$dest_ns" dest -incoming defer
dest_pid=$!
start_qemu "$src_ns" src -device "loader,addr=$MARKER_ADDR,data=$marker,data-len=8"
src_pid=$!
# Every address and NIC, IPv4 and IPv6: QEMU 7.2 listens on [::] with IPV6_V6ONLY off.
out=$(qmp incoming "$dir/dest.qmp" "$dest_pid" "tcp:[::]:$port" 2>&1) || qemu_failed dest "destination QEMU: migrate-incoming" "$out"

# In the background: bash runs a trap (SIGTERM, ^C) only once a foreground command is done,
# and this one may wait out the whole timeout; `wait` returns at once.
# Python itself, not the qmp function (a subshell would stand between $! and Python).
"$PYTHON" "$dir/qmp.py" migrate "$dir/src.qmp" "$src_pid" "$target" "$timeout" "$MARKER_ADDR" "$marker" >"$dir/result" &
helper_pid=$!
set +e
wait "$helper_pid"
status=$?
set -e
helper_pid=""
result=$(cat "$dir/result")
case $result in
  completed|failed:*|timeout) ;;
  *) qemu_failed src "source QEMU: migrate" "$result" ;;
esac
if [ "$status" = 0 ]; then
  set +e
  arrived=$(qmp arrived "$dir/dest.qmp" "$dest_pid" 5 "$MARKER_ADDR" "$marker")
  set -e
  [ "$arrived" = arrived ] || result=${arrived:-"failed: the destination QEMU did not answer"}
fi
if $verbose; then
  echo "qemu-migrate: $src_node -> $target (dest $dest_node): $result, $(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') s in all" >&2
fi
echo "$result"
[ "$result" = completed ]
