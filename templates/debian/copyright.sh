#!/usr/bin/env bash
# Prints the package's debian/copyright (machine-readable format) to standard output: migfw
# itself and what the static binary embeds (Swift runtime and Foundation, ArgumentParser,
# swift-log, Yams with libyaml). The MIT texts are taken from the dependency checkouts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
yams=.build/checkouts/Yams/LICENSE
[ -f "$yams" ] || { echo "copyright.sh: $yams missing (swift build first)" >&2; exit 1; }
indent() { sed -e 's/^$/./' -e 's/^/ /'; }
cat <<'HEAD'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: migfw
Comment: The static binary /usr/sbin/migfw embeds the Swift runtime, Foundation and
 the Swift packages listed below.

Files: *
Copyright: migfw maintainers
License: unspecified
 The migfw sources do not state a license yet.

Files: usr/sbin/migfw (Swift runtime, Foundation, swift-argument-parser, swift-log)
Copyright: Apple Inc. and the Swift project authors
License: Apache-2.0 with Runtime Library Exception
 Licensed under the Apache License, Version 2.0, with the Swift Runtime Library
 Exception (https://swift.org/LICENSE.txt). The full text of the Apache License 2.0
 is in /usr/share/common-licenses/Apache-2.0.

HEAD
echo "Files: usr/sbin/migfw (Yams, libyaml)"
echo "Copyright: 2016 JP Simard; 2006-2016 Kirill Simonov; 2017-2020 Ingy döt Net"
echo "License: MIT"
grep -v '^The MIT License' "$yams" | sed '/./,$!d' | indent
