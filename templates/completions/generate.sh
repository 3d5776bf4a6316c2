#!/usr/bin/env bash
# Regenerates the shell completions from the built migfw (swift build first). The CLI tests
# fail when the committed files differ from what the binary generates.
set -euo pipefail
cd "$(dirname "$0")/../.."
migfw="${MIGFW_BIN:-.build/debug/migfw}"
"$migfw" --generate-completion-script bash > templates/completions/migfw.bash
"$migfw" --generate-completion-script zsh > templates/completions/_migfw
"$migfw" --generate-completion-script fish > templates/completions/migfw.fish
