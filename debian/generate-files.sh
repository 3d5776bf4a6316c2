#!/usr/bin/env bash
# Called by debian/rules (override_dh_auto_build) once the release binary and the man page
# are built: checks the binary, and writes everything the package installs that is derived
# from the source tree into OUT (debian/migfw.install, .manpages and .examples pick it up):
#
#   debian/generate-files.sh SCRATCH_PATH DEB_VERSION OUT
set -euo pipefail
SCRATCH=$1 DEB_VERSION=$2 OUT=$3
BIN=$SCRATCH/release/migfw
MANUAL=$SCRATCH/plugins/GenerateManual/outputs/migfw/migfw.8
fail() { echo "generate-files: $*" >&2; exit 1; }

# Hypervisors have no Swift toolchain: the runtime must be linked in.
if readelf -d "$BIN" | grep -E 'NEEDED.*(libswift|libFoundation|libdispatch)' >&2; then
  fail "$BIN links the Swift runtime dynamically"
fi
# The package's version is the binary's (a local suffix such as +local1 or ~test is fine):
# bumping Migfw.version needs a debian/changelog entry, or `migfw --version` would lie.
version=$("$BIN" --version)
case $DEB_VERSION in
  "$version" | "$version"+* | "$version"~*) ;;
  *) fail "debian/changelog says $DEB_VERSION but migfw --version says $version: add a changelog entry" ;;
esac
# debian/copyright quotes the Yams license (libyaml is linked in): it must still be the one
# of the checkout this build used.
yams=$SCRATCH/checkouts/Yams/LICENSE
[ -f "$yams" ] || fail "no $yams"
missing=$(grep -v '^The MIT License' "$yams" | sed -e '/^[[:space:]]*$/d' -e 's/^/ /' | grep -vxFf debian/copyright || true)
[ -z "$missing" ] || fail "debian/copyright lacks these lines of $yams: $missing"

rm -rf "$OUT"
mkdir -p "$OUT/completions/bash" "$OUT/completions/zsh" "$OUT/completions/fish" "$OUT/units" "$OUT/examples"

# One page, a section per subcommand. A blank line (a paragraph break in a discussion) is
# an mdoc warning: .Pp is mdoc's paragraph break.
[ -s "$MANUAL" ] || fail "generate-manual wrote no $MANUAL"
sed 's/^$/.Pp/' "$MANUAL" > "$OUT/migfw.8"

# bash-completion files are sourced, not run: no #! line.
"$BIN" --generate-completion-script bash | sed '1{/^#!/d}' > "$OUT/completions/bash/migfw"
"$BIN" --generate-completion-script zsh > "$OUT/completions/zsh/_migfw"
"$BIN" --generate-completion-script fish > "$OUT/completions/fish/migfw.fish"

# The units of templates/systemd run /usr/local/sbin/migfw (installed from source); the
# package's binary is /usr/sbin/migfw, and its man page documents them.
for unit in templates/systemd/*.service templates/systemd/*.timer; do
  target=$OUT/units/$(basename "$unit")
  sed -e 's|/usr/local/sbin/migfw|/usr/sbin/migfw|g' \
      -e 's|^Documentation=man:nft(8)$|Documentation=man:migfw(8) man:nft(8)|' "$unit" > "$target"
  grep -q '^Documentation=' "$target" || sed -i '/^Description=/a Documentation=man:migfw(8)' "$target"
done
if grep -l /usr/local "$OUT"/units/*; then fail "a unit still names /usr/local"; fi

# The example policy (a conffile: dpkg never overwrites an edited one). Its interface does
# not exist, so enabling migfw.service before editing it fails the unit and applies nothing.
{
  echo "# Example migfw policy: REVIEW AND EDIT before enabling the units. As shipped its"
  echo "# interface does not exist, so 'migfw apply' refuses it and applies nothing."
  echo "#   migfw check -c /etc/migfw/migfw.yaml && migfw plan -c /etc/migfw/migfw.yaml"
  echo "#   systemctl enable --now migfw.service migfw-reconcile.timer"
  echo "# More examples: /usr/share/doc/migfw/examples/. Profiles: migfw profiles."
  grep -v '^# yaml-language-server' samples/libvirt.yaml | sed -e 's/^interface: .*/interface: CHANGE-ME     # the migration NIC/'
} > "$OUT/migfw.yaml"
grep -q '^interface: CHANGE-ME' "$OUT/migfw.yaml" || fail "the example policy has no interface line"

# The samples without their editor schema line (it points into the source tree), and the
# cron.d line for hosts without systemd timers.
for sample in samples/*.yaml; do
  grep -v '^# yaml-language-server' "$sample" > "$OUT/examples/$(basename "$sample")"
done
sed 's|/usr/local/sbin/migfw|/usr/sbin/migfw|g' templates/cron.d/migfw > "$OUT/examples/cron.d-migfw"
