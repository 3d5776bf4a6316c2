#!/usr/bin/env bash
# Builds the Ansible collection migfw.fleet from templates/ansible/collection:
#
#   bash templates/ansible/build-collection.sh [OUTPUT_DIR]      # default: .build/ansible
#
# prints the path of the artifact (migfw-fleet-VERSION.tar.gz). The role's files/ get the
# hypervisor profiles and the systemd units from templates/ (one source of truth: they are
# copied into a staging copy, never committed twice), so the installed collection needs no
# source checkout. Needs ansible-galaxy (ansible-core).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
OUT=${1:-$PWD/.build/ansible}
mkdir -p "$OUT"
STAGE=$(mktemp -d /tmp/migfw-collection.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
cp -a templates/ansible/collection/. "$STAGE/"
mkdir -p "$STAGE/roles/migfw/files/profiles" "$STAGE/roles/migfw/files/systemd"
cp templates/profiles/*.yaml "$STAGE/roles/migfw/files/profiles/"
cp templates/systemd/migfw.service templates/systemd/migfw-reconcile.service templates/systemd/migfw-reconcile.timer \
  "$STAGE/roles/migfw/files/systemd/"
ansible-galaxy collection build "$STAGE" --output-path "$OUT" --force >&2
VERSION=$(sed -n 's/^version: *//p' "$STAGE/galaxy.yml")
echo "$OUT/migfw-fleet-$VERSION.tar.gz"
