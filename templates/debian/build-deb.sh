#!/usr/bin/env bash
# Builds the Debian package of migfw with Debian's own tooling (dpkg-buildpackage and
# debhelper, from debian/ at the top of the source tree):
#
#   bash templates/debian/build-deb.sh [OUTPUT_DIR]      # default: .build/deb
#
# prints the path of the .deb. What goes into the package, and what install, upgrade,
# remove and purge do, is in debian/ (rules, migfw.install, the maintainer scripts) and in
# docs/install.md, "Debian package". Needs dpkg-dev, debhelper, the build dependencies of migfw
# and `swift` on PATH (the toolchain is not a Debian package).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)
OUT=$(realpath -m "${1:-$ROOT/.build/deb}")

for tool in dpkg-buildpackage dh swift; do
  command -v "$tool" >/dev/null || {
    echo "build-deb: $tool is missing (apt-get install dpkg-dev debhelper; swift: a swift.org toolchain on PATH)" >&2
    exit 1
  }
done

VERSION=$(dpkg-parsechangelog -SVersion)
ARCH=$(dpkg --print-architecture)
mkdir -p "$OUT"
# dpkg-buildpackage puts the .deb, .buildinfo and .changes into the parent directory of the
# source tree by default; they go to OUT instead (debian/rules reads MIGFW_DEB_DESTDIR for
# dh_builddeb, dpkg-genbuildinfo and dpkg-genchanges look for the .deb there with -u).
# -us -uc: nothing is signed; -b: binary package only.
export MIGFW_DEB_DESTDIR=$OUT
dpkg-buildpackage -us -uc -b \
  --buildinfo-option=-u"$OUT" --buildinfo-file="$OUT/migfw_${VERSION}_${ARCH}.buildinfo" \
  --changes-option=-u"$OUT" --changes-file="$OUT/migfw_${VERSION}_${ARCH}.changes" >&2

DEB=$OUT/migfw_${VERSION}_${ARCH}.deb
[ -f "$DEB" ] || { echo "build-deb: dpkg-buildpackage wrote no $DEB" >&2; exit 1; }
echo "$DEB"
