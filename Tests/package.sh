#!/usr/bin/env bash
# The Debian package, end to end on this machine (Tests/run.sh runs it as root):
# build it (templates/debian/build-deb.sh), lintian (no error or warning left), dpkg -i,
# then check what an admin gets: /usr/sbin/migfw --version, man -w migfw, the completions,
# systemd-analyze verify on the installed units, no unit enabled or started, the example
# policy a conffile that apply refuses (in a throwaway namespace), the built-in profiles
# resolving from a directory with no source tree; finally dpkg --purge and a comparison of
# the files under every path the package touches, before install and after purge.
# Refuses to run when a migfw package is already installed (it would purge it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
[ "$(id -u)" = 0 ] || { echo "package.sh: needs root (dpkg -i)" >&2; exit 1; }
if dpkg-query -W -f='${Status}' migfw 2>/dev/null | grep -q 'installed'; then
  echo "package.sh: a migfw package is installed here; not touching it" >&2
  exit 1
fi

fail() { echo "package.sh: FAIL: $*" >&2; exit 1; }
step() { echo "package.sh: $*"; }

DEB=$(bash templates/debian/build-deb.sh)
step "built $DEB ($(du -h "$DEB" | cut -f1))"
dpkg-deb -I "$DEB" | sed -n 's/^ \(Depends\|Installed-Size\):/  \1:/p'
# No maintainer scripts: nothing is enabled or started on install.
if dpkg-deb --ctrl-tarfile "$DEB" | tar -t | grep -E 'preinst|postinst|prerm|postrm'; then
  fail "the package has maintainer scripts"
fi

step "lintian"
lintian_status=0
lintian_out=$(lintian --info --fail-on error,warning "$DEB" 2>&1) || lintian_status=$?
echo "$lintian_out" | grep -v '^running with root privileges' || true
[ "$lintian_status" = 0 ] || fail "lintian reported an error or a warning (exit $lintian_status)"

WATCHED=(/usr/sbin /usr/share/man/man8 /usr/share/doc /usr/share/bash-completion/completions
         /usr/share/zsh/vendor-completions /usr/share/fish /usr/share/lintian/overrides
         /lib/systemd/system /etc/systemd/system /etc/migfw /var/lib/migfw /run/migfw)
snapshot() { { find "${WATCHED[@]}" 2>/dev/null || true; } | sort; ls /var/lib/dpkg/info | grep '^migfw\.' || true; }
BEFORE=$(mktemp) AFTER=$(mktemp) WORK=$(mktemp -d) NS=""
cleanup() {
  [ -z "$NS" ] || ip netns del "$NS" 2>/dev/null || true
  dpkg-query -W migfw >/dev/null 2>&1 && dpkg --purge migfw >/dev/null 2>&1 || true
  rm -rf "$BEFORE" "$AFTER" "$WORK"
}
trap cleanup EXIT
snapshot > "$BEFORE"

step "dpkg -i"
dpkg -i "$DEB"
[ "$(command -v migfw)" = /usr/sbin/migfw ] || fail "migfw is not /usr/sbin/migfw: $(command -v migfw)"
version=$(/usr/sbin/migfw --version)
[ "$version" = "$(dpkg-query -W -f='${Version}' migfw)" ] || fail "migfw --version says $version"
step "migfw --version: $version"
if readelf -d /usr/sbin/migfw | grep -E 'NEEDED.*(libswift|libFoundation)'; then fail "the Swift runtime is linked dynamically"; fi

page=$(man -w migfw)
[ "$page" = /usr/share/man/man8/migfw.8.gz ] || fail "man -w migfw: $page"
warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || true
[ -z "$warnings" ] || fail "man reports: $warnings"
# Every subcommand has its section in the page, with what its --help says.
rendered=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$page" 2>/dev/null | col -b | tr -s ' \n' ' ')
for subcommand in check aggregate compile plan apply confirm reconcile status delete profiles; do
  abstract=$(/usr/sbin/migfw "$subcommand" --help | sed -n 's/^OVERVIEW: //p')
  [[ "$rendered" == *"$abstract"* ]] || fail "man migfw lacks $subcommand's overview: $abstract"
done
step "man -w migfw: $page (a section per subcommand, no groff warning)"

[ -s /usr/share/bash-completion/completions/migfw ] && [ -s /usr/share/zsh/vendor-completions/_migfw ] &&
  [ -s /usr/share/fish/vendor_completions.d/migfw.fish ] || fail "a completion file is missing"
bash -c 'source /usr/share/bash-completion/completions/migfw && complete -p migfw' >/dev/null ||
  fail "the bash completion does not register"

step "systemd-analyze verify"
units=(/lib/systemd/system/migfw.service /lib/systemd/system/migfw-reconcile.service /lib/systemd/system/migfw-reconcile.timer)
verify=$(systemd-analyze verify "${units[@]}" 2>&1) || fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify printed: $verify"
grep -q '^ExecStart=/usr/sbin/migfw apply' /lib/systemd/system/migfw.service || fail "migfw.service does not run /usr/sbin/migfw"
grep -q '^PartOf=nftables.service' /lib/systemd/system/migfw.service || fail "migfw.service is not bound to nftables.service"
if find /etc/systemd/system -name 'migfw*' | grep .; then fail "install enabled a unit"; fi
# A skipped unit is silent: no ConditionPathExists (a missing policy must fail the run), and
# every ReadWritePaths= directory but /run may be absent ("-"), or the unit could not start.
if grep -n '^Condition' "${units[@]}"; then fail "a unit skips silently on a condition"; fi
for unit in "${units[@]}"; do
  for path in $(sed -n 's/^ReadWritePaths=//p' "$unit"); do
    [ "$path" = /run ] || [[ "$path" == -* ]] || fail "$unit: ReadWritePaths=$path fails the unit where it does not exist"
  done
done
step "the units' conditions and sandbox paths cannot skip or fail a run silently"

step "migfw-reconcile.service's command line, as the unit runs it, with no policy (throwaway namespace)"
# The exact ExecStart (continuation lines joined), with the policy and metrics paths moved
# into the scratch directory and the namespace added.
exec_start=$(sed -n '/^ExecStart=/,/[^\\]$/p' /lib/systemd/system/migfw-reconcile.service | sed 's/^ExecStart=//; s/\\$//' | tr -s ' \n' ' ')
[[ "$exec_start" == "/usr/sbin/migfw reconcile -c /etc/migfw/migfw.yaml --metrics-file /var/lib/prometheus/node-exporter/migfw.prom "* ]] ||
  fail "unexpected ExecStart: $exec_start"
read -r -a command <<<"${exec_start//\/etc\/migfw\/migfw.yaml/$WORK/missing.yaml}"
command=("${command[@]//\/var\/lib\/prometheus\/node-exporter/$WORK}")
NS=mfwt-pkg-$$-$RANDOM
ip netns add "$NS"
set +e
"${command[@]}" --netns "$NS" --state-dir "$WORK/state" --lock-file "$WORK/lock" > "$WORK/reconcile.out" 2>&1
status=$?
set -e
ip netns del "$NS"
NS=""
[ "$status" = 1 ] || fail "reconcile without a policy exited $status, expected 1: $(cat "$WORK/reconcile.out")"
grep -q "$WORK/missing.yaml" "$WORK/reconcile.out" || fail "reconcile's error does not name the policy: $(cat "$WORK/reconcile.out")"
grep -q '^migfw_last_error{' "$WORK/migfw.prom" || fail "the metrics file does not say the run failed"
if grep -q '^migfw_in_sync 1' "$WORK/migfw.prom"; then fail "the metrics file says in sync"; fi
echo "  exit $status: $(grep -m1 error "$WORK/reconcile.out")"

[ "$(dpkg-query -W -f='${Conffiles}' migfw | awk '{print $1}')" = /etc/migfw/migfw.yaml ] ||
  fail "/etc/migfw/migfw.yaml is not a conffile"

step "profiles from the installed binary, no source tree, no MIGFW_PROFILES_DIR"
cd "$WORK"
profiles=$(env -u MIGFW_PROFILES_DIR /usr/sbin/migfw profiles)
echo "$profiles"
for name in custom hyperv libvirt proxmox vmware xen; do
  echo "$profiles" | grep -qE "^$name +.* built-in$" || fail "profile $name is not built in"
done
for example in /usr/share/doc/migfw/examples/*.yaml; do
  env -u MIGFW_PROFILES_DIR /usr/sbin/migfw check -c "$example" >/dev/null || fail "migfw check $example"
done
env -u MIGFW_PROFILES_DIR /usr/sbin/migfw compile -c /usr/share/doc/migfw/examples/libvirt.yaml | grep -q 'tcp dport' ||
  fail "compile of the libvirt example"

step "the unreviewed example policy is refused by apply (throwaway namespace)"
NS=mfwt-pkg-$$-$RANDOM
ip netns add "$NS"
set +e
/usr/sbin/migfw apply -c /etc/migfw/migfw.yaml --netns "$NS" --state-dir "$WORK/state" --lock-file "$WORK/lock" > "$WORK/apply.out" 2>&1
status=$?
set -e
[ "$status" != 0 ] || fail "apply accepted the example policy"
grep -q CHANGE-ME "$WORK/apply.out" || fail "apply's error does not name the interface: $(cat "$WORK/apply.out")"
[ -z "$(ip netns exec "$NS" nft list ruleset)" ] || fail "apply changed the namespace's ruleset"
echo "  exit $status: $(head -n 1 "$WORK/apply.out")"
ip netns del "$NS"
NS=""
cd "$ROOT"

step "dpkg --purge"
dpkg --purge migfw
snapshot > "$AFTER"
if ! diff -u "$BEFORE" "$AFTER"; then fail "files differ before install and after purge (above)"; fi
step "nothing left: $(wc -l < "$AFTER") paths under ${WATCHED[*]} identical before install and after purge"
echo "package.sh: ok"
