#!/usr/bin/env bash
# The Debian package, end to end on this machine (Tests/run.sh runs it as root):
# build it twice with templates/debian/build-deb.sh (dpkg-buildpackage, debian/) and compare
# the two .debs byte for byte, lintian (no error or warning left), the maintainer scripts
# (none starts, restarts or stops migfw.service, none runs nft or migfw), then every dpkg
# transition an admin goes through, in this order:
#   install     what an admin gets: /usr/sbin/migfw --version, man -w migfw, the completions,
#               systemd-analyze verify on the installed units, no unit enabled or started, the
#               example policy a conffile that apply refuses, the built-in profiles resolving
#               from a directory with no source tree;
#   the admin   edits the policy, applies it, enables the units (systemctl enable);
#   upgrade     the same build repacked with a higher version: policy, table, links unchanged;
#   upgrade     again, the new package shipping a changed example (--force-confold): the
#               admin's policy stays, dpkg leaves the new one as migfw.yaml.dpkg-dist;
#   remove      the table stays loaded, the policy stays;
#   purge       /etc/migfw and /run/migfw are gone, no link to a migfw unit is left under
#               /etc/systemd/system, the table is still loaded, and every path under the
#               directories the package touches is as it was before install.
# Every dpkg command and every apply runs inside one throwaway network namespace
# (ip netns exec), deleted on exit, so that neither a maintainer script nor the test can
# ever change this machine's own firewall.
# Refuses to run when a migfw package is installed or /run/migfw or /var/lib/migfw exist
# (it would purge them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
[ "$(id -u)" = 0 ] || { echo "package.sh: needs root (dpkg -i)" >&2; exit 1; }
if dpkg-query -W -f='${Status}' migfw 2>/dev/null | grep -q 'installed'; then
  echo "package.sh: a migfw package is installed here; not touching it" >&2
  exit 1
fi
for dir in /run/migfw /var/lib/migfw; do
  [ ! -e "$dir" ] || { echo "package.sh: $dir exists (a migfw runs here?); purge would remove it" >&2; exit 1; }
done

fail() { echo "package.sh: FAIL: $*" >&2; exit 1; }
step() { echo "package.sh: $*"; }

WATCHED=(/usr/sbin /usr/share/man/man8 /usr/share/doc /usr/share/bash-completion/completions
         /usr/share/zsh/vendor-completions /usr/share/fish /usr/share/lintian/overrides
         /lib/systemd/system /etc/systemd/system /etc/migfw /var/lib/migfw /run/migfw
         /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked)
snapshot() { { find "${WATCHED[@]}" 2>/dev/null || true; } | sort; ls /var/lib/dpkg/info | grep '^migfw\.' || true; }
# Symbolic links under /etc/systemd/system whose target does not exist.
dangling_links() { find /etc/systemd/system -xtype l -printf '%p -> %l\n' | sort; }
BEFORE=$(mktemp) AFTER=$(mktemp) WORK=$(mktemp -d) NS="" PKG_NS=""
cleanup() {
  # After a failure: purge what got installed, in the namespace like every other dpkg run.
  if dpkg-query -W migfw >/dev/null 2>&1; then
    if [ -n "$PKG_NS" ]; then ip netns exec "$PKG_NS" dpkg --purge migfw >/dev/null 2>&1 || true
    else dpkg --purge migfw >/dev/null 2>&1 || true; fi
  fi
  [ -z "$NS" ] || ip netns del "$NS" 2>/dev/null || true
  [ -z "$PKG_NS" ] || ip netns del "$PKG_NS" 2>/dev/null || true
  rm -rf "$BEFORE" "$AFTER" "$WORK"
}
trap cleanup EXIT

DEB=$(bash templates/debian/build-deb.sh "$WORK/deb")
step "built $DEB ($(du -h "$DEB" | cut -f1))"
dpkg-deb -I "$DEB" | sed -n 's/^ \(Depends\|Installed-Size\):/  \1:/p'
# Reproducible: a second build of the same tree (it reuses the Swift build, so this checks
# everything dpkg-buildpackage and debhelper add: dates, mtimes, compression, ordering).
DEB_AGAIN=$(bash templates/debian/build-deb.sh "$WORK/deb-again")
sum=$(sha256sum < "$DEB") sum_again=$(sha256sum < "$DEB_AGAIN")
[ "$sum" = "$sum_again" ] || fail "two builds differ: $DEB $sum, $DEB_AGAIN $sum_again"
step "reproducible: both builds are sha256 ${sum%% *}"

step "maintainer scripts"
dpkg-deb --control "$DEB" "$WORK/control"
scripts=()
for script in preinst postinst prerm postrm; do
  [ ! -f "$WORK/control/$script" ] || scripts+=("$WORK/control/$script")
done
echo "  $(cd "$WORK/control" && ls | tr "\n" " ")"
# The package never starts, restarts or stops migfw.service (it would apply an unreviewed
# policy, or re-apply one on upgrade), and never runs nft or migfw (migfw delete opens the
# firewall). The reconcile timer and its service may be stopped on remove and
# try-restarted after an upgrade. Comments are left out.
code=$(sed 's/^[[:space:]]*#.*//' "${scripts[@]}")
if grep -nE "deb-systemd-invoke.*[ ']migfw\.service" <<<"$code"; then fail "a maintainer script starts or stops migfw.service"; fi
if grep -nE '(^|[;&|[:space:]])(/usr/sbin/)?(nft|migfw)([[:space:]]|$)' <<<"$code"; then fail "a maintainer script runs nft or migfw"; fi
if grep -nE 'deb-systemd-invoke.*[[:space:]](start|restart)[[:space:]]' <<<"$code"; then fail "a maintainer script starts a unit"; fi

step "lintian"
lintian_status=0
lintian_out=$(lintian --info --fail-on error,warning "$DEB" 2>&1) || lintian_status=$?
echo "$lintian_out" | grep -v '^running with root privileges' || true
[ "$lintian_status" = 0 ] || fail "lintian reported an error or a warning (exit $lintian_status)"

snapshot > "$BEFORE"
DANGLING_BEFORE=$(dangling_links)

# The namespace every dpkg command and apply runs in, with a migration NIC for the policy.
PKG_NS=mfwt-pkg-$$-$RANDOM
ip netns add "$PKG_NS"
# (a veth pair: this kernel may have no dummy interfaces; the peer is never used)
ip -n "$PKG_NS" link add mig0 type veth peer name mig0-peer
ip -n "$PKG_NS" link set mig0 up
in_ns() { ip netns exec "$PKG_NS" "$@"; }
# stdin from /dev/null: a conffile question would fail the step instead of waiting.
in_ns_dpkg() { in_ns dpkg "$@" < /dev/null; }

step "install: dpkg -i (in namespace $PKG_NS)"
in_ns_dpkg -i "$DEB"
[ "$(command -v migfw)" = /usr/sbin/migfw ] || fail "migfw is not /usr/sbin/migfw: $(command -v migfw)"
version=$(/usr/sbin/migfw --version)
[ "$version" = "$(dpkg-query -W -f='${Version}' migfw)" ] || fail "migfw --version says $version"
step "migfw --version: $version"
if readelf -d /usr/sbin/migfw | grep -E 'NEEDED.*(libswift|libFoundation)'; then fail "the Swift runtime is linked dynamically"; fi
[ -z "$(in_ns nft list ruleset)" ] || fail "install changed the namespace's ruleset"

page=$(man -w migfw)
[ "$page" = /usr/share/man/man8/migfw.8.gz ] || fail "man -w migfw: $page"
# The README links to docs/: the pages ship beside it (dh_compress may gzip the larger ones).
for doc in docs/*.md; do
  [ -s "/usr/share/doc/migfw/$doc" ] || [ -s "/usr/share/doc/migfw/$doc.gz" ] || fail "/usr/share/doc/migfw/$doc is missing"
done
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

step "the admin: edits the policy, applies it (in $PKG_NS, default state directory), enables the units"
sed -i 's/^interface: CHANGE-ME.*/interface: mig0/' /etc/migfw/migfw.yaml
POLICY=$(sha256sum < /etc/migfw/migfw.yaml)
in_ns /usr/sbin/migfw apply -c /etc/migfw/migfw.yaml > "$WORK/apply-admin.out" 2>&1 ||
  fail "apply of the edited policy: $(cat "$WORK/apply-admin.out")"
echo "  $(grep -m1 '^Applied:' "$WORK/apply-admin.out")"
[ -d /run/migfw ] || fail "apply wrote no state under /run/migfw"
# Without counters: what the table is, not what it has seen.
TABLE=$(in_ns nft --stateless list table inet migfw)
echo "  table inet migfw: $(grep -c . <<<"$TABLE") lines"
systemctl enable migfw.service migfw-reconcile.timer 2>&1 | sed 's/^/  /'
LINKS=$(find /etc/systemd/system -lname '*/migfw*' -printf '%p -> %l\n' | sort)
[ "$(grep -c . <<<"$LINKS")" = 2 ] || fail "systemctl enable made these links: $LINKS"
echo "$LINKS" | sed 's/^/  /'

# The table, the policy and the enable links are as the admin left them.
unchanged() {
  local what=$1
  [ "$(in_ns nft --stateless list table inet migfw 2>&1)" = "$TABLE" ] || fail "$what changed or removed table inet migfw"
  [ "$(sha256sum < /etc/migfw/migfw.yaml)" = "$POLICY" ] || fail "$what changed /etc/migfw/migfw.yaml"
  [ "$(find /etc/systemd/system -lname '*/migfw*' -printf '%p -> %l\n' | sort)" = "$LINKS" ] ||
    fail "$what changed the enable links"
  step "  $what: table inet migfw, /etc/migfw/migfw.yaml and the enable links unchanged"
}
# The same build under another version: what an upgrade runs is the maintainer scripts, the
# conffile logic and the unit handling, none of which depends on the binary. $3, when
# given, is appended to the example policy (a package whose shipped example changed).
repack() {
  local from=$1 version=$2 tree=$WORK/repack-$2
  dpkg-deb --raw-extract "$from" "$tree"
  sed -i "s/^Version: .*/Version: $version/" "$tree/DEBIAN/control"
  [ -z "${3:-}" ] || echo "# $3" >> "$tree/etc/migfw/migfw.yaml"
  dpkg-deb --root-owner-group -Zxz --build "$tree" "$WORK/migfw_$version.deb" >/dev/null
  echo "$WORK/migfw_$version.deb"
}

step "upgrade: dpkg -i migfw $version+pkgtest1 (in $PKG_NS)"
in_ns_dpkg -i "$(repack "$DEB" "$version+pkgtest1")"
[ "$(dpkg-query -W -f='${Version} ${Status}' migfw)" = "$version+pkgtest1 install ok installed" ] || fail "the upgrade did not install"
unchanged "upgrade"
in_ns /usr/sbin/migfw plan -c /etc/migfw/migfw.yaml >/dev/null || fail "after the upgrade, plan says the table is not in sync (exit $?)"
if ls /etc/migfw/migfw.yaml.dpkg-* 2>/dev/null; then fail "dpkg left a conffile copy although the example did not change"; fi

step "upgrade with a changed example policy: dpkg --force-confold -i migfw $version+pkgtest2 (in $PKG_NS)"
in_ns_dpkg --force-confdef --force-confold -i "$(repack "$DEB" "$version+pkgtest2" "a changed example")"
[ "$(dpkg-query -W -f='${Version} ${Status}' migfw)" = "$version+pkgtest2 install ok installed" ] || fail "the upgrade did not install"
unchanged "upgrade (changed example)"
grep -q '^# a changed example$' /etc/migfw/migfw.yaml.dpkg-dist || fail "no migfw.yaml.dpkg-dist with the new example"

step "remove: dpkg -r migfw (in $PKG_NS)"
in_ns_dpkg -r migfw
[ "$(dpkg-query -W -f='${Status}' migfw)" = "deinstall ok config-files" ] || fail "dpkg -r: $(dpkg-query -W -f='${Status}' migfw)"
[ ! -e /usr/sbin/migfw ] && [ ! -e /lib/systemd/system/migfw.service ] || fail "remove left the binary or a unit"
unchanged "remove"
# Like the policy, the enable links are configuration: they stay (dangling) until purge, and
# a reinstall finds the units enabled as they were.

step "purge: dpkg --purge migfw (in $PKG_NS)"
in_ns_dpkg --purge migfw
[ ! -e /etc/migfw ] || fail "purge left /etc/migfw: $(find /etc/migfw)"
[ ! -e /run/migfw ] || fail "purge left /run/migfw"
if find /etc/systemd/system -lname '*/migfw*' | grep .; then fail "purge left an enable link"; fi
[ "$(dangling_links)" = "$DANGLING_BEFORE" ] || fail "dangling links under /etc/systemd/system: $(dangling_links)"
[ "$(in_ns nft --stateless list table inet migfw 2>&1)" = "$TABLE" ] || fail "purge changed or removed table inet migfw"
step "  purge: /etc/migfw, /run/migfw and the enable links gone, table inet migfw still loaded"
snapshot > "$AFTER"
if ! diff -u "$BEFORE" "$AFTER"; then fail "files differ before install and after purge (above)"; fi
step "nothing left: $(wc -l < "$AFTER") paths under ${WATCHED[*]} identical before install and after purge"
echo "package.sh: ok"
